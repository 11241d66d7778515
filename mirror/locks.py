"""Leases: named locks with an expiry, kept as rows in the database, so one
process at a time fetches a given upstream page or file, across gunicorn
workers and servers, on SQLite and PostgreSQL alike. An expired lease (its
holder died) is taken over."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import Lease

# wakes the waiters of this process when one of its threads releases a lease;
# waiters in other processes see the release at their next poll
_released = threading.Condition()


# Every cold fetch takes and releases a lease, and waiters poll it: plain
# statements (a compiled queryset cost several times the statement), the
# same on SQLite and PostgreSQL. Django wraps their errors as the ORM's.


def _sql(statement: str, params: list) -> int:
    """Run ``statement`` ({t}: the lease table, {k}: its key column); the
    rows it changed."""
    ops = connection.ops
    table, column = ops.quote_name(Lease._meta.db_table), ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.execute(statement.format(t=table, k=column), params)
        return cursor.rowcount


def _at(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def lease_acquire(key: str, ttl: float = 120.0) -> str | None:
    """A token when acquired, None when someone else holds a live lease."""
    token = uuid.uuid4().hex
    now = timezone.now()
    expires = _at(now + timedelta(seconds=ttl))
    try:
        with transaction.atomic():
            _sql(
                "INSERT INTO {t} ({k}, owner, expires_at) VALUES (%s, %s, %s)",
                [key, token, expires],
            )
        return token
    except IntegrityError:
        pass
    taken = _sql(
        "UPDATE {t} SET owner = %s, expires_at = %s WHERE {k} = %s AND expires_at < %s",
        [token, expires, key, _at(now)],
    )
    return token if taken else None


def lease_renew(key: str, token: str, ttl: float = 120.0) -> None:
    _sql(
        "UPDATE {t} SET expires_at = %s WHERE {k} = %s AND owner = %s",
        [_at(timezone.now() + timedelta(seconds=ttl)), key, token],
    )


def lease_release(key: str, token: str) -> None:
    _sql("DELETE FROM {t} WHERE {k} = %s AND owner = %s", [key, token])
    with _released:
        _released.notify_all()


def lease_held(key: str) -> bool:
    """Whether someone holds a live lease on ``key``; waiters ask this every
    few milliseconds."""
    ops = connection.ops
    table, column = ops.quote_name(Lease._meta.db_table), ops.quote_name("key")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE {column} = %s AND expires_at >= %s LIMIT 1",
            [key, _at(timezone.now())],
        )
        return cursor.fetchone() is not None


def lease_wait(key: str, timeout: float) -> bool:
    """Wait until nobody holds ``key``; False on timeout. A release in this
    process wakes the wait at once; one elsewhere is seen within the poll
    interval (5 ms, growing to 100 ms), so a client waiting for another's
    fetch of a small file waits about as long as that fetch."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while lease_held(key):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        with _released:
            _released.wait(min(delay, left))
        delay = min(delay * 1.5, 0.1)
    return True


def lease_cleanup(older_than: float = 3600.0) -> int:
    """Delete leases expired for more than ``older_than`` seconds: left by
    processes that died. Live and recently expired leases stay."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    deleted, _ = Lease.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
