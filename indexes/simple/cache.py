"""The simple page cache.

A page is cached under a key made of what it shows and the generation of
every index in the resolution order. Any change of what a page shows bumps
a generation in the database (``wire.serial_bump``), so the next request
computes a new key: invalidation is exact, and it works across gunicorn
workers and servers without shared memory (the cache itself is per process,
or Redis when ``REDIS_URL`` is set). Pages that include mirror files also
expire with the mirror's ``mirror_cache_expiry``, when the mirror must
revalidate.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

from django.core.cache import cache

GZIP_MIN_BYTES = 1024
DEFAULT_TTL = 24 * 3600


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str
    headers: tuple[tuple[str, str], ...] = ()


def page_key(what: str, order, variant: str) -> str:
    generations = ",".join(f"{ix.id}.{ix.generation}" for ix in order)
    digest = hashlib.blake2b(f"{what}|{variant}|{generations}".encode(), digest_size=16)
    return "simple:" + digest.hexdigest()


def etag_for(key: str) -> str:
    return f'"{key[len("simple:") :]}"'


def make_page(
    key: str, body: str | bytes, content_type: str, headers: tuple[tuple[str, str], ...] = ()
) -> CachedPage:
    data = body.encode() if isinstance(body, str) else body
    gzipped = gzip.compress(data, compresslevel=6, mtime=0) if len(data) >= GZIP_MIN_BYTES else None
    return CachedPage(data, gzipped, content_type, etag_for(key), headers)


def get(key: str) -> CachedPage | None:
    return cache.get(key)


def put(key: str, page: CachedPage, ttl: int | None) -> None:
    cache.set(key, page, DEFAULT_TTL if ttl is None else ttl)
