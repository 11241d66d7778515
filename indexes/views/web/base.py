"""What every page and form of the web UI uses: the browser session's user,
the refusal page, the way to the login form."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def session_user(request: HttpRequest) -> User | None:
    """The browser session's user, or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # the project keeps Django's own user model (no AUTH_USER_MODEL swap), so
    # an authenticated session user is a ``User``; the stubs only know the base
    return cast(User, user)


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """The web UI's refusal: a page, 403."""
    return render(request, "indexes/forbidden.html", {"message": message}, status=403)


def login_redirect(request: HttpRequest) -> HttpResponse:
    """To the login form, and back here after it."""
    return redirect(f"/+login?next={request.get_full_path()}")
