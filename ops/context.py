"""The request a log line belongs to: its id, user and route kind."""

from __future__ import annotations

import contextvars
import random
import re

current_request: contextvars.ContextVar = contextvars.ContextVar("devpi_request", default=None)

_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_random_bits = random.getrandbits


def request_id_from(header: str | None) -> str:
    """The client's ``X-Request-ID`` when it is a sane token (letters, digits,
    ``._:-``, at most 128), else a new random one."""
    if header and _VALID_ID.fullmatch(header):
        return header
    # 128 random bits as uuid4().hex, but from the process's random generator
    # (reseeded in every forked worker) rather than a system call per request:
    # an id must be unique, not unguessable
    return f"{_random_bits(128):032x}"


def route_of(request) -> str:
    """The route kind: the URL pattern's name (``simple-project``, ``file``,
    ``index``...), ``static`` for static files, ``unmatched`` for no route."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.url_name or match.view_name or "unnamed"
    if request.path_info.startswith("/+static/"):
        return "static"
    return "unmatched"


def user_of(request) -> str:
    """Who the request acted as, without authenticating anyone anew: the
    devpi user the view looked up, else a session user already loaded."""
    user = getattr(request, "_devpi_user", None) or getattr(request, "_cached_user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.username
    return ""
