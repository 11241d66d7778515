"""The per-process page cache used without Redis: Django's local-memory
cache, minus the pickling.

``LocMemCache`` pickles every value on ``set`` and unpickles it on every
``get``, so that callers cannot change what is cached. The simple page cache
holds ``CachedPage`` objects, which are frozen and hold only bytes and
strings: a cached page is handed out as it is, and a cache hit costs a dict
lookup instead of copying a page of up to hundreds of kilobytes. Keys are
made by ``indexes.simple.cache`` (short hex digests), so Django's
memcached-compatibility check of each key is skipped too. Expiry, culling
(``MAX_ENTRIES``) and ``clear()`` are ``LocMemCache``'s own.

Only for immutable values: this is the ``default`` cache, and only the
simple page cache uses it.
"""

from __future__ import annotations

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache


class PageMemoryCache(LocMemCache):
    def get(self, key, default=None, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                return default
            value = self._cache[key]
            self._cache.move_to_end(key, last=False)
        return value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            self._set(key, value, timeout)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._set(key, value, timeout)
                return True
            return False

    def incr(self, key, delta=1, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                raise ValueError(f"Key '{key}' not found")
            value = self._cache[key] + delta
            self._cache[key] = value
            self._cache.move_to_end(key, last=False)
        return value
