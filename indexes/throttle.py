"""Failed-login throttling, per user name and per client address.

Every password check (``indexes.auth.check_password_credentials``) asks
``login_allowed`` first and reports its outcome. Once a user name has
``DEVPI_LOGIN_FAILURE_LIMIT`` failures, or an address
``DEVPI_LOGIN_ADDRESS_FAILURE_LIMIT``, inside ``DEVPI_LOGIN_FAILURE_WINDOW``
seconds of the first of them, further attempts are refused (429 with
``Retry-After``) without checking the password, even a right one, until
the window ends. Only failures count: a user who logs in a thousand times
with the right password is never throttled, and a success clears that user
name's count (not the address's: an attacker with an account of their own
could otherwise wipe it).

The counters must hold across gunicorn workers and servers: with Redis
(``REDIS_URL``) they are keys of the shared "throttle" cache, counted with
Redis' atomic INCR; without it they are rows of ``LoginFailure`` in the
database, counted with an atomic UPDATE.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F

from .errors import TooManyRequests

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache


@dataclass(frozen=True)
class Counter:
    key: str
    limit: int
    what: str


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def counters(username: str, address: str) -> list[Counter]:
    config = settings.DEVPI
    result = []
    if username:
        result.append(
            Counter(
                f"user:{_digest(username)}", config["LOGIN_FAILURE_LIMIT"], f"user {username!r}"
            )
        )
    if address:
        result.append(
            Counter(
                f"addr:{_digest(address)}", config["LOGIN_ADDRESS_FAILURE_LIMIT"], "your address"
            )
        )
    return result


def _window() -> int:
    return max(1, int(settings.DEVPI["LOGIN_FAILURE_WINDOW"]))


# -- stores: (count, seconds until the window ends) ---------------------------


class CacheStore:
    """Redis (or any cache with an atomic ``incr``)."""

    prefix = "devpi-login-failures:"

    def __init__(self, cache: BaseCache) -> None:
        self.cache = cache

    def get(self, key: str) -> tuple[int, int]:
        values = self.cache.get_many([self.prefix + key, self.prefix + key + ":t"])
        count = values.get(self.prefix + key) or 0
        started = values.get(self.prefix + key + ":t")
        if not count or started is None:
            return 0, 0
        return int(count), max(1, math.ceil(started + _window() - time.time()))

    def add(self, key: str) -> None:
        window = _window()
        name = self.prefix + key
        self.cache.add(name + ":t", time.time(), window)
        self.cache.add(name, 0, window)
        try:
            self.cache.incr(name)
        except ValueError:  # expired between add and incr: a new window
            self.cache.set(name, 1, window)

    def clear(self, key: str) -> None:
        self.cache.delete_many([self.prefix + key, self.prefix + key + ":t"])


class DatabaseStore:
    """One ``LoginFailure`` row per key: shared by the workers and servers of
    one database, incremented atomically."""

    def get(self, key: str) -> tuple[int, int]:
        from .models import LoginFailure

        row = LoginFailure.objects.filter(key=key).values("count", "expires").first()
        now = datetime.now(UTC)
        if row is None or row["expires"] <= now:
            return 0, 0
        return row["count"], max(1, math.ceil((row["expires"] - now).total_seconds()))

    def add(self, key: str) -> None:
        from .models import LoginFailure

        now = datetime.now(UTC)
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    if LoginFailure.objects.filter(key=key, expires__gt=now).update(
                        count=F("count") + 1
                    ):
                        return
                    LoginFailure.objects.filter(expires__lte=now).delete()  # old windows
                    LoginFailure.objects.create(
                        key=key, count=1, expires=now + timedelta(seconds=_window())
                    )
                    return
            except IntegrityError:  # another worker created it: count on it
                continue

    def clear(self, key: str) -> None:
        from .models import LoginFailure

        LoginFailure.objects.filter(key=key).delete()


def store() -> CacheStore | DatabaseStore:
    if "throttle" in settings.CACHES:
        return CacheStore(caches["throttle"])
    return DatabaseStore()


# -- the interface used by indexes.auth ---------------------------------------


def login_allowed(username: str, address: str) -> None:
    """Raise ``TooManyRequests`` when the user name or the address is over
    its limit of failed logins."""
    backend = store()
    for counter in counters(username, address):
        count, remaining = backend.get(counter.key)
        if count >= counter.limit:
            raise TooManyRequests(
                f"too many failed logins for {counter.what}: try again in {remaining} seconds",
                retry_after=remaining,
            )


def login_failed(username: str, address: str) -> None:
    backend = store()
    for counter in counters(username, address):
        backend.add(counter.key)


def login_succeeded(username: str) -> None:
    if username:
        store().clear(counters(username, "")[0].key)
