"""The audit trail: an append-only record of every change and every login
failure.

Write services call ``audit_record(action, target=..., index=..., detail=...)``
inside their transaction, so an event is stored exactly when its change is.
Who acted, how they authenticated and from where come from the current
``AuditContext``: ``indexes.middleware`` sets one per HTTP request (the actor
is looked up only when something is recorded, so reads cost nothing), and
``manage.py devpi`` sets one for the command's ``--as`` user. Without a
context (Celery, a shell) the actor is ``:SYSTEM:``.

Details never hold a secret: passwords are named, never shown, and
credentials in URLs are masked (``mask_secrets``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from .distribution.redact import MASK, redact_text

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

    from .models import AuditEvent

ACTIONS = (
    "user.create",
    "user.modify",
    "user.delete",
    "index.create",
    "index.modify",
    "index.delete",
    "file.upload",
    "release.push",
    "release.remove",
    "release.yank",
    "toxresult.upload",
    "doc.upload",
    "project.status",
    "token.create",
    "token.revoke",
    "login.failure",
    "login.success",
)
ANONYMOUS = ":ANONYMOUS:"
SYSTEM = ":SYSTEM:"
SECRET_KEYS = ("password", "token", "secret")
# bounds on what one event may hold
MAX_TARGET = 1024
MAX_DETAIL_TEXT = 2000


@dataclass(slots=True)
class AuditContext:
    """Who acts: a fixed actor (a command), or a request whose actor is
    resolved when an event is recorded."""

    actor: str | None = None
    via: str = ""
    address: str = ""
    request: HttpRequest | None = None

    def who(self) -> tuple[str, str]:
        if self.request is None:
            return self.actor or SYSTEM, self.via
        from .tokens import via_of

        user = _request_actor(self.request)
        if user is None:
            return ANONYMOUS, ""
        return user.username, via_of(user) or "session"


_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "devpi_audit_context", default=None
)


def _request_actor(request: HttpRequest) -> User | None:
    """The JSON API's user (headers) when the view looked at it, else the
    web UI's session user."""
    if hasattr(request, "_devpi_user"):
        return request._devpi_user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def request_address(request: HttpRequest) -> str:
    return (request.META.get("REMOTE_ADDR") or "")[:64]


def context_enter(context: AuditContext) -> contextvars.Token[AuditContext | None]:
    """Make ``context`` current; returns what ``context_exit`` needs (the
    per-request middleware uses these two: cheaper than the ``with``)."""
    return _current.set(context)


def context_exit(token: contextvars.Token[AuditContext | None]) -> None:
    _current.reset(token)


@contextlib.contextmanager
def audit_context(context: AuditContext) -> Iterator[AuditContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current_context() -> AuditContext:
    return _current.get() or AuditContext()


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_DETAIL_TEXT:
        return value[:MAX_DETAIL_TEXT] + "..."
    return value


def mask_url(url: str) -> str:
    """A URL with its credentials masked (the one masking rule:
    ``distribution.redact``)."""
    return redact_text(url)


def mask_secrets(value: Any, key: str = "") -> Any:
    """A copy of ``value`` (a config, a detail) with no secret left in it."""
    if isinstance(value, dict):
        return {k: mask_secrets(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_secrets(v, key) for v in value]
    if any(word in key.lower() for word in SECRET_KEYS):
        return MASK
    if isinstance(value, str) and key.endswith("_url"):
        return mask_url(value)
    return _clip(value)


def config_changes(old: dict, new: dict) -> dict:
    """``{"old": {...}, "new": {...}}`` of the keys whose values differ,
    secrets masked."""
    keys = sorted(set(old) | set(new))
    changed = [k for k in keys if old.get(k) != new.get(k)]
    return {
        "old": mask_secrets({k: old[k] for k in changed if k in old}),
        "new": mask_secrets({k: new[k] for k in changed if k in new}),
    }


def audit_record(
    action: str,
    *,
    target: str = "",
    index: str = "",
    detail: dict | None = None,
    actor: str | None = None,
    via: str | None = None,
) -> AuditEvent:
    """Append one event. ``actor``/``via`` override the context's (a login
    failure names who tried). Call it inside the change's transaction."""
    from .models import AuditEvent

    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    context = current_context()
    who, how = context.who() if actor is None else (actor, via or "")
    if via is not None:
        how = via
    address = context.address
    if not address and context.request is not None:
        address = request_address(context.request)
    return AuditEvent.objects.create(
        when=timezone.now(),
        actor=who[:150],
        via=how[:64],
        address=address,
        action=action,
        index=index[:301],
        target=target[:MAX_TARGET],
        detail=mask_secrets(detail or {}),
    )


def record_project_status(*, index: str, project: str, old: dict | None, new: dict) -> AuditEvent:
    """``project.status`` (PEP 792): for the project status service to call
    inside its transaction. ``old``/``new``: ``{"status", "reason"}``."""
    return audit_record(
        "project.status",
        target=f"{index}/{project}",
        index=index,
        detail={"old": old or {}, "new": new},
    )


def audit_prune(days: int | None) -> int:
    """Delete events older than ``days`` (None: keep everything). Returns
    how many were deleted. The only way events leave the trail."""
    from .models import AuditEvent

    if not days:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = AuditEvent.objects.filter(when__lt=cutoff).delete()
    return deleted


# -- reading ---------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_PAGE = 100_000


@dataclass(frozen=True)
class AuditPage:
    events: list
    page: int
    size: int
    has_next: bool


def _positive(value: Any, name: str, default: int, most: int) -> int:
    from .errors import Invalid

    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"'{name}' must be a whole number") from None
    if not 1 <= number <= most:
        raise Invalid(f"'{name}' must be between 1 and {most}")
    return number


def audit_events(
    *,
    index: str | None = None,
    action: str | None = None,
    user: str | None = None,
    page: Any = None,
    size: Any = None,
) -> AuditPage:
    """Events, newest first, optionally of one index, action or actor."""
    from .errors import Invalid
    from .models import AuditEvent

    page_number = _positive(page, "page", 1, MAX_PAGE)
    page_size = _positive(size, "size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    events = AuditEvent.objects.all()
    if index is not None:
        events = events.filter(index=index)
    if action:
        if action not in ACTIONS:
            raise Invalid(f"unknown action {action[:50]!r}; actions are: " + ", ".join(ACTIONS))
        events = events.filter(action=action)
    if user:
        events = events.filter(actor=user[:150])
    start = (page_number - 1) * page_size
    rows = list(events.order_by("-id")[start : start + page_size + 1])
    return AuditPage(
        events=rows[:page_size], page=page_number, size=page_size, has_next=len(rows) > page_size
    )


def event_json(event: AuditEvent) -> dict:
    return {
        "id": event.pk,
        "when": event.when.isoformat(timespec="seconds"),
        "user": event.actor,
        "via": event.via,
        "address": event.address,
        "action": event.action,
        "index": event.index or None,
        "target": event.target,
        "detail": event.detail,
    }
