"""devpi's JSON API: users, indexes, projects, versions, login.

Views are thin: they negotiate, check permissions and call services and
selectors. Domain errors become responses in ``indexes.middleware``.
"""

from __future__ import annotations

from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response

from devpi_django import __version__

from .. import permissions, project_status, selectors
from ..audit import audit_record
from ..auth import check_password_credentials, request_user, token_create
from ..distribution.names import normalize_name
from ..errors import Invalid, MethodNotAllowed, NotFound, Unauthorized
from ..negotiation import HTML, JSON, SIMPLE_HTML, SIMPLE_JSON, choose
from ..rest.base import DevpiView
from ..rest.response import envelope
from ..serverstate import DEVPI_SERVER_COMPAT_VERSION, server_state
from ..services import indexes as index_services
from ..services import project_status as project_status_services
from ..services import removal, users, yank
from ..tokens import api_token_of, api_token_user, looks_like_token, via_of
from ..wire import api_response, request_state
from . import push, simple, upload, web
from .common import (
    force_requested,
    is_installer,
    outside_url,
    read_identity,
    read_json,
    read_json_object,
    readable_index,
    require,
)

FEATURES = ["push-no-docs", "push-only-docs", "push-register-project", "server-keyvalue-parsing"]
LOGIN_EXPIRATION = 36000


def _wants(request, offers=(HTML, JSON)) -> str | None:
    return choose(request.META.get("HTTP_ACCEPT"), offers)


def _method_not_allowed(request):
    raise MethodNotAllowed(f"method {request.method} not allowed here")


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


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@csrf_exempt
def login(request):
    """devpi's token login (a JSON POST); the browser's login form (GET, and
    a form POST, which has a Django session and CSRF: ``web.login_submit``)."""
    if request.method in ("GET", "HEAD") and _wants(request) == HTML:
        return web.login_page(request)
    if request.method != "POST":
        return _method_not_allowed(request)
    if request.content_type in FORM_TYPES and not request.body.lstrip().startswith(b"{"):
        # a JSON body sent as a form (``curl -d``) is still devpi's login
        return web.login_submit(request)
    data = read_json_object(request)
    username, password = data.get("user"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Invalid("Bad request: no user/password specified")
    if looks_like_token(password):
        return _token_login(username, password)
    account = check_password_credentials(request, username, password) if username else None
    if account is None:
        audit_record("login.failure", target=username[:150], via="password")
        raise Unauthorized(f"user {username!r} could not be authenticated")
    audit_record("login.success", target=account.username, actor=account.username, via="password")
    return api_response(
        200,
        "login successful",
        type="proxyauth",
        result={"password": token_create(account), "expiration": LOGIN_EXPIRATION},
    )


def _token_login(username: str, secret: str):
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
    return api_response(
        200,
        "login successful",
        type="proxyauth",
        result={"password": secret, "expiration": expiration},
    )


def status(request):
    uuid, serial = server_state()
    result = {
        "serial": serial,
        "uuid": uuid,
        "role": "primary",
        "versioninfo": {"devpi-server": DEVPI_SERVER_COMPAT_VERSION, "devpi-django": __version__},
        "mirrors": selectors.mirror_statuses(read_identity(request), viewer=read_identity(request)),
    }
    if _wants(request) == HTML:
        return web.status_page(request, result)
    return api_response(200, type="status", result=result)


@csrf_exempt
def root(request):
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(request)
    identity = read_identity(request)
    configs = selectors.users_configs(identity, viewer=identity)
    if _wants(request) == JSON:
        return api_response(200, type="list:userconfig", result=configs)
    return web.root_page(request, configs)


@csrf_exempt
def user_view(request, user):
    actor = request_user(request)
    if request.method == "PUT":
        require(permissions.may_create_user(actor), request, f"no permission to create user {user}")
        account = users.user_create(username=user, data=read_json_object(request))
        return api_response(
            201, type="userconfig", result=selectors.user_config(account, viewer=actor)
        )
    account = selectors.user_get(user)
    if request.method in ("GET", "HEAD"):
        identity = read_identity(request)
        config = selectors.user_config(account, reader=identity, viewer=identity)
        if _wants(request) == JSON:
            return api_response(200, type="userconfig", result=config)
        return web.user_page(request, account, config)
    if request.method == "PATCH":
        data = read_json_object(request)
        password_only = set(data) == {"password"}
        require(
            permissions.may_modify_user(actor, user, password_only=password_only),
            request,
            f"no permission to modify user {user}",
        )
        if users.user_modify(user=account, data=data):
            return api_response(
                200,
                "user updated, new proxy auth",
                type="userpassword",
                result={"password": token_create(account), "expiration": LOGIN_EXPIRATION},
            )
        return api_response(200, "user updated")
    if request.method == "DELETE":
        require(
            permissions.may_delete_user(actor, user),
            request,
            f"no permission to delete user {user}",
        )
        users.user_delete(user=account)
        return api_response(200, f"user {user!r} deleted")
    return _method_not_allowed(request)


@csrf_exempt
def index_view(request, user, index):
    method = request.method
    actor = request_user(request)
    if method == "PUT":
        owner = selectors.user_get(user)
        require(
            permissions.may_create_index(actor, user),
            request,
            f"no permission to create index {user}/{index}",
        )
        ix = index_services.index_create(owner=owner, name=index, data=read_json_object(request))
        return api_response(
            200, type="indexconfig", result=selectors.index_config(ix, viewer=actor)
        )
    if method in ("GET", "HEAD") and is_installer(request):
        return simple.installer_index(request, user, index)
    if method in ("GET", "HEAD"):
        ix, _order = readable_index(request, user, index)
        wanted = _wants(request, (HTML, JSON, SIMPLE_JSON))
        if wanted == JSON:
            result = selectors.index_config(ix, viewer=actor)
            if "no_projects" not in request.GET:
                result["projects"] = selectors.index_project_names(ix)
            return api_response(200, type="indexconfig", result=result)
        if wanted == SIMPLE_JSON:
            return simple.index_list(request, ix, _order)
        return web.index_page(request, ix)
    ix = selectors.index_get(user, index)
    if method == "PATCH":
        require(
            permissions.may_modify_index(actor, ix),
            request,
            f"no permission to modify index {ix.fullname}",
        )
        ix = index_services.index_modify(index=ix, data=read_json(request))
        return api_response(
            200, type="indexconfig", result=selectors.index_config(ix, viewer=actor)
        )
    if method == "DELETE":
        require(
            permissions.may_modify_index(actor, ix),
            request,
            f"no permission to delete index {ix.fullname}",
        )
        index_services.index_delete(index=ix, force=force_requested(request, ix))
        return api_response(201, f"index {ix.fullname} deleted")
    if method == "POST" and request.content_type.startswith("multipart/"):
        return upload.upload(request, ix)
    if method in ("POST", "PUSH"):
        return push.push_view(request, ix)
    return _method_not_allowed(request)


def _quarantine_links(versions: dict, status) -> dict:
    """A quarantined project lists no files: its versions keep their
    metadata, without ``+links``."""
    if status is None or status.status != "quarantined":
        return versions
    return {version: {**data, "+links": []} for version, data in versions.items()}


def _status_result(row) -> dict:
    return {"status": row.status, "reason": row.reason}


def _status_extra(status) -> dict | None:
    """PEP 792's ``project-status`` beside devpi's envelope (devpi-client
    reads only ``result``, whose keys are versions)."""
    if status is None:
        return None
    data = {"status": status.status}
    if status.reason:
        data["reason"] = status.reason
    if status.index:
        data["index"] = status.index
    return {"project-status": data}


def _project_redirect(request, project: str):
    normalized = normalize_name(project)
    if normalized != project:
        path = request.path_info
        start = path.rindex(project)
        new_path = path[:start] + normalized + path[start + len(project) :]
        query = request.META.get("QUERY_STRING")
        return redirect(request.build_absolute_uri(new_path + (f"?{query}" if query else "")))
    return None


@csrf_exempt
def project_view(request, user, index, project):
    if request.method in ("GET", "HEAD") and (
        is_installer(request)
        or _wants(request, (HTML, JSON, SIMPLE_JSON, SIMPLE_HTML)) in (SIMPLE_JSON, SIMPLE_HTML)
    ):
        return simple.installer_project(request, user, index, project)
    actor = request_user(request)
    if request.method in ("GET", "HEAD"):
        ix, _order = readable_index(request, user, index)
        if (response := _project_redirect(request, project)) is not None:
            return response
        versions = selectors.project_versions(
            ix, project, outside_url(request), ignore_bases="ignore_bases" in request.GET
        )
        status = project_status.status_of(
            ix, normalize_name(project), _order, request_state(request)[1]
        )
        versions = _quarantine_links(versions, status)
        if _wants(request) == JSON:
            return api_response(
                200, type="projectconfig", result=versions, extra=_status_extra(status)
            )
        return web.project_page(request, ix, project, versions, status)
    ix = selectors.index_get(user, index)
    if request.method == "PATCH":
        row = project_status_services.project_status_set(
            index=ix, project=project, data=read_json(request), user=actor
        )
        return api_response(
            200,
            f"project {row.name} is {row.status} on {ix.fullname}",
            type="projectstatus",
            result=_status_result(row),
        )
    if request.method == "DELETE":
        require(
            permissions.may_delete_entries(actor, ix),
            request,
            f"no permission to delete project {project} on {ix.fullname}",
        )
        removal.project_delete(index=ix, project=project, force=force_requested(request, ix))
        return api_response(
            200, f"project {normalize_name(project)} deleted from stage {ix.fullname}"
        )
    return _method_not_allowed(request)


@csrf_exempt
def version_view(request, user, index, project, version):
    actor = request_user(request)
    if request.method in ("GET", "HEAD"):
        ix, _order = readable_index(request, user, index)
        if (response := _project_redirect(request, project)) is not None:
            return response
        versions = selectors.project_versions(ix, project, outside_url(request))
        if version not in versions:
            raise NotFound(f"The version {version} of project {project} does not exist.")
        status = project_status.status_of(
            ix, normalize_name(project), _order, request_state(request)[1]
        )
        versions = _quarantine_links(versions, status)
        if _wants(request) == JSON:
            return api_response(
                200, type="versiondata", result=versions[version], extra=_status_extra(status)
            )
        return web.version_page(request, ix, project, version, versions[version])
    ix = selectors.index_get(user, index)
    if request.method == "PATCH":
        require(
            permissions.may_delete_entries(actor, ix),
            request,
            f"no permission to modify {project} {version} on {ix.fullname}",
        )
        data = read_json_object(request)
        if set(data) != {"yanked"}:
            raise Invalid('expected a JSON object {"yanked": "<reason>"} or {"yanked": false}')
        release = selectors.release_get(ix, project, version)
        release = yank.release_yank(release=release, yanked=data["yanked"])
        state = "yanked" if release.yanked else "un-yanked"
        return api_response(200, f"{release.project.name} {version} {state} on {ix.fullname}")
    if request.method == "DELETE":
        require(
            permissions.may_delete_entries(actor, ix),
            request,
            f"no permission to delete {project} {version} on {ix.fullname}",
        )
        removal.release_delete(
            index=ix, project=project, version=version, force=force_requested(request, ix)
        )
        return api_response(200, f"project {normalize_name(project)!r} version {version!r} deleted")
    return _method_not_allowed(request)
