"""Celery tasks of the index core."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .audit import audit_prune as _audit_prune


@shared_task
def audit_prune() -> int:
    """Enforce ``DEVPI_AUDIT_RETENTION_DAYS`` (scheduled daily by beat when
    set). Returns how many events were deleted."""
    return _audit_prune(settings.DEVPI["AUDIT_RETENTION_DAYS"])
