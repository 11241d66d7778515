"""Helpers shared by the views: request JSON, outside URL, installer sniffing."""

from __future__ import annotations

from django.conf import settings

from .. import permissions
from ..auth import request_user
from ..errors import Forbidden, Invalid, Unauthorized
from ..resolution import index_and_order, resolution_order
from ..rest.parsers import body_json, declared_length, json_loads, read_limited
from ..wire import request_state


def outside_url(request) -> str:
    """The server's base URL as clients see it (devpi's --outside-url)."""
    configured = settings.DEVPI["OUTSIDE_URL"]
    if configured:
        return configured
    header = request.META.get("HTTP_X_OUTSIDE_URL")
    if header:
        return header.rstrip("/")
    return f"{request.scheme}://{request.get_host()}"


def read_body(request, what: str = "request body") -> bytes:
    """The body of a request, refused with 413 beyond ``DEVPI_MAX_JSON_BYTES``."""
    limit = settings.DEVPI["MAX_JSON_BYTES"]
    return read_limited(request, declared_length(request.META), limit, what)


def read_json(request):
    """The JSON body of a request, refusing oversized or malformed bodies."""
    return json_loads(read_body(request))


def read_json_object(request) -> dict:
    return _json_object(read_json(request))


def _json_object(data) -> dict:
    if not isinstance(data, dict):
        raise Invalid("Bad request: expected a JSON object")
    return data


def request_json_object(request) -> dict:
    """A DRF request's JSON body (``rest.parsers.body_json``: whatever its
    content type, as devpi reads it), which must be an object."""
    return _json_object(body_json(request))


def require(allowed: bool, request, message: str) -> None:
    """Refuse with 403, anonymous or not, as devpi does for what its ACLs
    guard (users, indexes, deletions). Uploads and pushes, where devpi
    answers 401 to ask for credentials, decide that themselves."""
    if not allowed:
        raise Forbidden(message)


def read_identity(request):
    """Who reads: the request's credentials (``X-Devpi-Auth``, Basic), else,
    for GET and HEAD only, the web UI's session user, so that a browser
    logged in at ``/+login`` reads the private indexes it may. The session is
    looked at only when the credentials did not decide (no query otherwise)."""
    user = request_user(request)
    if user is None and request.method in ("GET", "HEAD"):
        session = getattr(request, "user", None)
        if session is not None and session.is_authenticated:
            return session
    return user


def require_read(request, index, order=None) -> None:
    """Refuse a read of ``index`` (with its resolution ``order``) unless
    ``permissions.may_read`` allows it: 401 with a Basic challenge when
    anonymous (pip and uv then use netrc, keyring or URL credentials), 403
    for a logged-in user without the right."""
    if order is None:
        order = resolution_order(index)
    public = permissions.is_public(order)
    if not public:
        # what follows is private: never kept by a shared cache (middleware,
        # which sees the Django request under a DRF one)
        getattr(request, "_request", request)._devpi_private = True
    # credentials sent are checked even where they are not needed (a wrong
    # password counts as a failed login); without any, this costs nothing
    user = request_user(request)
    # a public order is readable by every identity (``may_read`` says so
    # without asking more)
    if public or permissions.may_read(user, index, order):
        return
    if user is None:
        reader = read_identity(request)
        if reader is not None and permissions.may_read(reader, index, order):
            return
        user = reader
    if user is None:
        raise Unauthorized(f"authentication required to read {index.fullname}")
    raise Forbidden(f"user {user.username!r} may not read {index.fullname}")


def readable_index(request, user: str, index: str):
    """``(index, order)`` of ``user/index`` from the per-process order cache,
    after the read check: no query beyond the serial a request reads anyway."""
    ix, order = index_and_order(user, index, request_state(request)[1])
    require_read(request, ix, order)
    return ix, order


def root_prefix(request) -> str:
    """``../`` steps from the request's path back to the application root, so
    that simple page links are relative (devpi's pages are too)."""
    return "../" * (request.path_info.count("/") - 1)


def force_requested(request, index) -> bool:
    """``?force``: deletes on a non-volatile index, for its owner or root only
    (devpi-client's ``remove -f``)."""
    return "force" in request.GET and permissions.may_modify_index(request_user(request), index)
