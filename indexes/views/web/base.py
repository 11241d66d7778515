"""What every page and form of the web UI uses: the browser session's user,
the refusal page, the way to the login form."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def session_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The browser session's user, or None."""
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """The web UI's refusal: a page, 403."""
    return render(request, "indexes/forbidden.html", {"message": message}, status=403)


def login_redirect(request: HttpRequest) -> HttpResponse:
    """To the login form, and back here after it."""
    return redirect(f"/+login?next={request.get_full_path()}")
