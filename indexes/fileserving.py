"""What an index kind hands the ``+f`` and ``+e`` views to serve, as data:
the view (``indexes.blobresponse.served_response``) turns it into the HTTP
response. No HTTP here, so the mirror's file service stays domain code.

- ``StoredBlob``: a stored blob, served as ``filename`` (the cache hit);
- ``Announced``: a file not stored yet, asked for with HEAD: its type and
  the size the upstream page announced, nothing fetched;
- ``Streamed``: a file being fetched, its chunks relayed while stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """The blob of ``sha256`` served as ``filename``: its size, ETag (the
    sha256), Last-Modified and an immutable Cache-Control."""

    sha256: str
    size: int
    filename: str
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class Announced:
    """Headers only, for a HEAD of a file not stored: the type of
    ``filename`` and ``size`` as Content-Length when known."""

    filename: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Streamed:
    """``chunks`` of ``filename`` as they arrive; ``length`` the upstream's
    Content-Length when it sent one, ``sha256`` the ETag when known. The
    iterator finishes the fetch's own work (storing, the lease) as it is
    consumed or dropped."""

    filename: str
    chunks: Iterator[bytes]
    length: int | None
    sha256: str


Served = StoredBlob | Announced | Streamed
