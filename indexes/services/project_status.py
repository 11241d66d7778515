"""Setting a project's PEP 792 status on an index: the one write path for
the JSON API, the web UI and ``manage.py devpi project-status``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from .. import permissions
from ..audit import record_project_status
from ..distribution.names import is_valid_project_name, normalize_name
from ..errors import Forbidden, Invalid, Unauthorized
from ..models import Index, ProjectStatus
from ..project_status import MAX_REASON, STATUSES
from ..serverstate import serial_bump

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def may_set_status(user: User | None, index: Index) -> bool:
    """The index owner or root; on a mirror index root only."""
    if user is None:
        return False
    if index.is_mirror:
        return permissions.is_root(user)
    return permissions.is_root(user) or index.owner_id == user.pk


def check_request(data: Any) -> tuple[str, str]:
    """``{"status": ..., "reason": ...}`` -> (status, reason), or ``Invalid``."""
    if not isinstance(data, dict):
        raise Invalid('expected a JSON object {"status": "...", "reason": "..."}')
    unknown = sorted(set(data) - {"status", "reason"})
    if unknown:
        raise Invalid(
            f"unknown keys {', '.join(map(repr, unknown))}: only 'status' and "
            "'reason' may be set on a project"
        )
    status = data.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        raise Invalid(f"'status' must be one of {', '.join(STATUSES)}")
    reason = data.get("reason", "")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise Invalid("'reason' must be a string")
    if len(reason) > MAX_REASON:
        raise Invalid(f"'reason' may have at most {MAX_REASON} characters")
    if any(ord(c) < 32 and c not in "\t\n" or ord(c) == 127 for c in reason):
        raise Invalid("'reason' must not contain control characters")
    return status, reason.strip()


def project_status_set(
    *, index: Index, project: str, data: Any, user: User | None
) -> ProjectStatus:
    """Validate and store the status of ``project`` on ``index`` (any valid
    project name: a mirror's project need not be cached, and a name may be
    quarantined before it is ever uploaded). Bumps the index's generation,
    so its cached pages and those of every index over it are rebuilt."""
    if not may_set_status(user, index):
        message = (
            f"only root may set project statuses on the mirror index {index.fullname}"
            if index.is_mirror
            else f"no permission to set project statuses on {index.fullname}"
        )
        raise (Unauthorized if user is None else Forbidden)(message)
    if not is_valid_project_name(project):
        raise Invalid(f"invalid project name {project!r}")
    status, reason = check_request(data)
    name = normalize_name(project)
    with transaction.atomic():
        previous = ProjectStatus.objects.filter(index=index, name=name).first()
        row, _created = ProjectStatus.objects.update_or_create(
            index=index,
            name=name,
            defaults={
                "status": status,
                "reason": reason,
                "modified_by": getattr(user, "username", ""),
            },
        )
        serial_bump(index.id)
        record_project_status(
            index=index.fullname,
            project=name,
            old=(
                None if previous is None else {"status": previous.status, "reason": previous.reason}
            ),
            new={"status": status, "reason": reason},
        )
    return row
