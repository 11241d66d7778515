"""The web UI's login and logout (a Django session, with CSRF) and the
account settings page: email, password and API tokens."""

from __future__ import annotations

from django.contrib import auth as django_auth
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from ... import permissions, selectors
from ...audit import audit_record
from ...auth import check_password_credentials
from ...errors import DevpiError, TooManyRequests
from ...forms import LoginForm, TokenCreateForm, UserSettingsForm
from ...services import tokens as token_services
from ...services import users as user_services
from .base import forbidden, login_redirect, session_user

# -- login and logout -----------------------------------------------------------


def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def login_page(request) -> HttpResponse:
    """GET /+login for a browser: the login form."""
    if session_user(request) is not None and "next" not in request.GET:
        return redirect(f"/{request.user.username}")
    form = LoginForm()
    return render(request, "indexes/login.html", {"form": form, "next": _safe_next(request, "")})


@csrf_protect
def login_submit(request) -> HttpResponse:
    """POST /+login from the login form: a Django session (devpi's JSON login
    stays in ``indexes.views.api.LoginView``)."""
    form = LoginForm(request.POST)
    if form.is_valid():
        username = form.cleaned_data["username"]
        password = form.cleaned_data["password"] or ""
        try:
            account = check_password_credentials(request, username, password)
        except TooManyRequests as exc:
            form.add_error(None, f"Too many failed logins: try again in {exc.retry_after} seconds.")
            response = render(
                request,
                "indexes/login.html",
                {"form": form, "next": _safe_next(request, "")},
                status=429,
            )
            response["Retry-After"] = str(exc.retry_after)
            return response
        if account is not None:
            django_auth.login(request, account)  # the backend that authenticated it
            audit_record(
                "login.success",
                target=account.username,
                actor=account.username,
                via="password (web)",
            )
            return HttpResponseRedirect(_safe_next(request, f"/{account.username}"))
        audit_record("login.failure", target=username[:150], via="password (web)")
        form.add_error(None, "Unknown user name or wrong password.")
    return render(
        request, "indexes/login.html", {"form": form, "next": _safe_next(request, "")}, status=400
    )


@require_http_methods(["GET", "HEAD", "POST"])
def logout(request) -> HttpResponse:
    if request.method == "POST":
        django_auth.logout(request)
        messages.info(request, "You are logged out.")
        return redirect("/")
    return render(request, "indexes/logout.html", {})


# -- account settings -----------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def user_settings(request, user) -> HttpResponse:
    account = selectors.user_get(user)
    actor = session_user(request)
    if actor is None:
        if request.method == "POST":
            return forbidden(request, "Log in to change account settings.")
        return login_redirect(request)
    if not permissions.may_modify_user(actor, user, password_only=True):
        return forbidden(request, f"You may not change the account of {user}.")
    if request.method == "POST":
        form = UserSettingsForm(request.POST)
        if form.is_valid():
            data = {}
            if form.cleaned_data["email"] != (account.email or ""):
                if not permissions.may_modify_user(actor, user):
                    return forbidden(request, f"You may not change the email of {user}.")
                data["email"] = form.cleaned_data["email"]
            new_password = form.cleaned_data["new_password"]
            if new_password:
                if (
                    check_password_credentials(
                        request, actor.username, form.cleaned_data["current_password"] or ""
                    )
                    is None
                ):
                    form.add_error("current_password", "This is not your current password.")
                else:
                    data["password"] = new_password
            if not form.errors:
                try:
                    if data:
                        user_services.user_modify(user=account, data=data)
                except DevpiError as exc:
                    form.add_error(None, exc.message)
                else:
                    if "password" in data and account.pk == actor.pk:
                        django_auth.update_session_auth_hash(request, account)
                    messages.success(request, "Settings saved." if data else "Nothing changed.")
                    return redirect(f"/{user}/+settings")
        status = 400
    else:
        form = UserSettingsForm(initial={"email": account.email})
        status = 200
    return _settings_page(request, account, actor, form=form, status=status)


def _settings_page(
    request, account, actor, *, form=None, token_form=None, new_token=None, status=200
) -> HttpResponse:
    may_tokens = permissions.may_manage_tokens(actor, account.username)
    return render(
        request,
        "indexes/user_settings.html",
        {
            "account": account,
            "form": form or UserSettingsForm(initial={"email": account.email}),
            "token_form": token_form or TokenCreateForm(),
            "may_create_token": permissions.may_create_token(actor, account.username),
            "tokens": token_services.api_tokens_list(owner=account) if may_tokens else [],
            "new_token": new_token,
        },
        status=status,
    )


def _token_actor(request, user) -> tuple:
    """(account, actor, None) when the session's user may manage ``user``'s
    tokens, else (None, None, response)."""
    account = selectors.user_get(user)
    actor = session_user(request)
    if actor is None:
        return None, None, forbidden(request, "Log in to manage API tokens.")
    if not permissions.may_manage_tokens(actor, user):
        return None, None, forbidden(request, f"You may not manage the tokens of {user}.")
    return account, actor, None


@require_http_methods(["POST"])
def token_create(request, user) -> HttpResponse:
    """The settings page's token form: the secret is shown once, on the page
    this POST answers with (never in a redirect or a stored message)."""
    account, actor, refused = _token_actor(request, user)
    if refused is not None:
        return refused
    if not permissions.may_create_token(actor, user):
        return forbidden(request, f"You may not create tokens for {user}.")
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, secret = token_services.api_token_create(
                owner=account, data=form.token_data(), actor=actor
            )
        except DevpiError as exc:
            form.add_error(None, exc.message)
        else:
            return _settings_page(
                request, account, actor, new_token={"id": token.public_id, "token": secret}
            )
    return _settings_page(request, account, actor, token_form=form, status=400)


@require_http_methods(["POST"])
def token_revoke(request, user, token_id) -> HttpResponse:
    account, actor, refused = _token_actor(request, user)
    if refused is not None:
        return refused
    token = token_services.api_token_revoke(owner=account, token_id=token_id, actor=actor)
    messages.success(request, f"Token {token.public_id} revoked.")
    return redirect(f"/{user}/+settings")
