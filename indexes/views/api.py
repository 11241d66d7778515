"""devpi's JSON API: the root, ``/+api``, login, status and users; indexes,
projects and versions are in ``stage_api`` (their views are named here too).

Views are DRF views (``rest.base.DevpiView``) and thin: they call services
(which refuse what the acting user may not do) and selectors, and answer
data that the negotiated renderer writes: devpi's JSON envelope, or the web
UI's page (``web.pages``) for browsers at the same URL. Domain errors become
responses in ``rest.exceptions``.
"""

from __future__ import annotations

from django.utils import timezone
from rest_framework.response import Response

from devpi_django import __version__

from .. import permissions, selectors
from ..audit import audit_record
from ..auth import check_password_credentials, request_user, token_create
from ..errors import Invalid, MethodNotAllowed, Unauthorized
from ..negotiation import HTML, choose
from ..rest.base import DevpiView
from ..rest.response import envelope
from ..serverstate import DEVPI_SERVER_COMPAT_VERSION, server_state
from ..services import users
from ..tokens import api_token_of, api_token_user, looks_like_token, via_of
from . import web
from .common import outside_url, request_json_object, require
from .negotiated import PageView, answer_json, wants_page, web_page
from .stage_api import IndexView, ProjectView, VersionView

__all__ = [
    "ApiConfigView",
    "IndexView",
    "LoginView",
    "ProjectView",
    "RootView",
    "StatusView",
    "UserView",
    "VersionView",
]

FEATURES = ["push-no-docs", "push-only-docs", "push-register-project", "server-keyvalue-parsing"]
LOGIN_EXPIRATION = 36000
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _wants_html(request) -> bool:
    """devpi's choice between its page and JSON, where no acceptable offer
    does not mean the first one."""
    return choose(request.META.get("HTTP_ACCEPT"), (HTML, "application/json")) == HTML


def _auth_status(request) -> list:
    user = request_user(request)
    if user is None:
        return ["noauth", "", []]
    return ["ok", user.username, []]


class ApiConfigView(DevpiView):
    """``/+api``, ``/<user>/+api``, ``/<user>/<index>/+api``: where devpi-client
    logs in, uploads and reads (any method, as devpi answers it)."""

    def get(self, request, user=None, index=None):
        return Response(envelope("apiconfig", apiconfig(request, user, index)))

    post = put = patch = delete = push = get


def apiconfig(request, user=None, index=None) -> dict:
    base = outside_url(request)
    result = {
        "login": f"{base}/+login",
        "authstatus": _auth_status(request),
        "features": FEATURES,
    }
    if user is not None and index is not None:
        ix = selectors.index_get(user, index)
        result["index"] = f"{base}/{ix.fullname}"
        result["simpleindex"] = f"{base}/{ix.fullname}/+simple/"
        if not ix.is_mirror:
            result["pypisubmit"] = f"{base}/{ix.fullname}/"
    elif user is not None:
        selectors.user_get(user)
    return result


class RootView(PageView):
    """``/``: every user and their indexes (those the reader may read)."""

    def get(self, request):
        identity = request.user
        configs = selectors.users_configs(identity, viewer=identity)
        if wants_page(request):
            return web_page(web.root_page(configs))
        return Response(envelope("list:userconfig", configs))


class LoginView(PageView):
    """devpi's token login (a JSON POST); the browser's login form (GET, and
    a form POST, which has a Django session and CSRF: ``web.login_submit``)."""

    def get(self, request):
        if not _wants_html(request):
            raise MethodNotAllowed(f"method {request.method} not allowed here")
        return web.login_page(request._request)

    def post(self, request):
        django_request = request._request
        if (
            django_request.content_type in FORM_TYPES
            and not django_request.body.lstrip().startswith(b"{")
        ):
            # a JSON body sent as a form (``curl -d``) is still devpi's login
            return web.login_submit(django_request)
        data = request_json_object(request)
        username, password = data.get("user"), data.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise Invalid("Bad request: no user/password specified")
        if looks_like_token(password):
            return _token_login(username, password)
        return _password_login(django_request, username, password)


def _password_login(request, username: str, password: str) -> Response:
    account = check_password_credentials(request, username, password) if username else None
    if account is None:
        audit_record("login.failure", target=username[:150], via="password")
        raise Unauthorized(f"user {username!r} could not be authenticated")
    audit_record("login.success", target=account.username, actor=account.username, via="password")
    result = {"password": token_create(account), "expiration": LOGIN_EXPIRATION}
    return Response(envelope("proxyauth", result, "login successful"))


def _token_login(username: str, secret: str) -> Response:
    """devpi-client's login with an API token as password: the token itself
    is handed back as the credential (a login token would carry the owner's
    full rights), valid for what is left of the token's life."""
    account = api_token_user(username, secret)
    if account is None:
        audit_record("login.failure", target=username[:150], via="token")
        raise Unauthorized(f"user {username!r} could not be authenticated")
    token = api_token_of(account)
    audit_record(
        "login.success", target=account.username, actor=account.username, via=via_of(account)
    )
    expiration = LOGIN_EXPIRATION
    if token is not None and token.expires is not None:
        expiration = max(1, int((token.expires - timezone.now()).total_seconds()))
    result = {"password": secret, "expiration": expiration}
    return Response(envelope("proxyauth", result, "login successful"))


class StatusView(PageView):
    """``/+status``: the server's serial, uuid, versions and mirrors."""

    def get(self, request):
        uuid, serial = server_state()
        identity = request.user
        result = {
            "serial": serial,
            "uuid": uuid,
            "role": "primary",
            "versioninfo": {
                "devpi-server": DEVPI_SERVER_COMPAT_VERSION,
                "devpi-django": __version__,
            },
            "mirrors": selectors.mirror_statuses(identity, viewer=identity),
        }
        if _wants_html(request):
            return web_page(web.status_page(result))
        answer_json(request)
        return Response(envelope("status", result))


class UserView(PageView):
    """``/<user>``: a user's config and indexes; create, modify, delete."""

    def get(self, request, user):
        account = selectors.user_get(user)
        identity = request.user
        config = selectors.user_config(account, reader=identity, viewer=identity)
        if wants_page(request):
            return web_page(web.user_page(request._request, account, config))
        return Response(envelope("userconfig", config))

    def put(self, request, user):
        actor = request.user
        require(permissions.may_create_user(actor), request, f"no permission to create user {user}")
        account = users.user_create(username=user, data=request_json_object(request), actor=actor)
        config = selectors.user_config(account, viewer=actor)
        return Response(envelope("userconfig", config), status=201)

    def patch(self, request, user):
        actor = request.user
        account = selectors.user_get(user)
        data = request_json_object(request)
        password_only = set(data) == {"password"}
        require(
            permissions.may_modify_user(actor, user, password_only=password_only),
            request,
            f"no permission to modify user {user}",
        )
        if users.user_modify(user=account, data=data, actor=actor):
            result = {"password": token_create(account), "expiration": LOGIN_EXPIRATION}
            return Response(envelope("userpassword", result, "user updated, new proxy auth"))
        return Response(envelope(message="user updated"))

    def delete(self, request, user):
        actor = request.user
        account = selectors.user_get(user)
        require(
            permissions.may_delete_user(actor, user),
            request,
            f"no permission to delete user {user}",
        )
        users.user_delete(user=account, actor=actor)
        return Response(envelope(message=f"user {user!r} deleted"))
