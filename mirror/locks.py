"""Leases: named locks with an expiry, kept as rows in the database, so one
process at a time fetches a given upstream page or file, across gunicorn
workers and servers, on SQLite and PostgreSQL alike. An expired lease (its
holder died) is taken over."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Lease


def lease_acquire(key: str, ttl: float = 120.0) -> str | None:
    """A token when acquired, None when someone else holds a live lease."""
    token = uuid.uuid4().hex
    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    try:
        with transaction.atomic():
            Lease.objects.create(key=key, owner=token, expires_at=expires)
        return token
    except IntegrityError:
        pass
    taken = Lease.objects.filter(key=key, expires_at__lt=now).update(owner=token,
                                                                     expires_at=expires)
    return token if taken else None


def lease_renew(key: str, token: str, ttl: float = 120.0) -> None:
    Lease.objects.filter(key=key, owner=token).update(
        expires_at=timezone.now() + timedelta(seconds=ttl))


def lease_release(key: str, token: str) -> None:
    Lease.objects.filter(key=key, owner=token).delete()


def lease_held(key: str) -> bool:
    return Lease.objects.filter(key=key, expires_at__gte=timezone.now()).exists()


def lease_wait(key: str, timeout: float) -> bool:
    """Wait until nobody holds ``key``; False on timeout."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while lease_held(key):
        if time.monotonic() > deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    return True


def lease_cleanup(older_than: float = 3600.0) -> int:
    """Delete leases expired for more than ``older_than`` seconds: left by
    processes that died. Live and recently expired leases stay."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    deleted, _ = Lease.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
