"""A tar archive read member by member within ``ArchiveLimits``: forward
only, without keeping members, with caps on the members, on the header bytes
per member, on the global pax headers and on the bytes inflated (a .tar.gz,
.tar.bz2 or .tar.xz is decompressed as it is read). Pure; no Django.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
from collections.abc import Iterator
from typing import IO, BinaryIO, cast

from .limits import (
    MAX_TAR_GLOBAL_PAX_BYTES,
    MAX_TAR_HEADER_BYTES,
    READ_CHUNK,
    ArchiveLimits,
    InvalidArchive,
    file_size,
)


def _decompressed(fileobj: BinaryIO) -> BinaryIO:
    """The tar stream inside a .tar.gz/.tar.bz2/.tar.xz, or the file itself."""
    fileobj.seek(0)
    magic = fileobj.read(6)
    fileobj.seek(0)
    if magic[:2] == b"\x1f\x8b":
        return cast(BinaryIO, gzip.GzipFile(fileobj=fileobj, mode="rb"))
    if magic[:3] == b"BZh":
        return cast(BinaryIO, bz2.BZ2File(fileobj))
    if magic == b"\xfd7zXZ\x00":
        return cast(BinaryIO, lzma.LZMAFile(fileobj))
    return fileobj


class _GuardedStream:
    """What ``tarfile`` reads through: forward only, at most ``max_inflated``
    bytes in all, and at most ``budget`` bytes read (headers) until the
    budget is set again."""

    def __init__(self, raw: BinaryIO, filename: str, max_inflated: int):
        self.raw, self.filename, self.max_inflated = raw, filename, max_inflated
        self.position = 0
        self.budget = MAX_TAR_HEADER_BYTES

    def _reach(self, position: int) -> None:
        if position > self.max_inflated:
            raise InvalidArchive(
                f"{self.filename} inflates to more than the limit of {self.max_inflated} bytes"
            )

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self.budget:
            raise InvalidArchive(
                f"{self.filename} has a tar header larger than the limit of "
                f"{MAX_TAR_HEADER_BYTES} bytes"
            )
        self._reach(self.position + size)
        data = self.raw.read(size)
        self.budget -= len(data)
        self.position += len(data)
        return data

    def seek(self, position: int, whence: int = 0) -> int:
        if whence != 0:
            raise InvalidArchive(f"{self.filename}: unexpected seek in a tar archive")
        if position < self.position:
            raise InvalidArchive(f"{self.filename} has a tar member with a negative size")
        self._reach(position)
        self.position = self.raw.seek(position)
        return self.position

    def tell(self) -> int:
        return self.position


class TarReader:
    """A tar's members one at a time, within ``limits``, without keeping them."""

    def __init__(self, fileobj: BinaryIO, filename: str, limits: ArchiveLimits):
        self.fileobj, self.filename, self.limits = fileobj, filename, limits
        self.raw = _decompressed(fileobj)
        self.stream = _GuardedStream(self.raw, filename, limits.max_inflated(file_size(fileobj)))
        self.tar: tarfile.TarFile | None = None

    def __enter__(self) -> TarReader:
        try:
            self.tar = tarfile.open(fileobj=cast(IO[bytes], self.stream), mode="r:")
        except RecursionError:
            raise InvalidArchive(f"{self.filename} has too deeply chained tar headers") from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.tar is not None:
            self.tar.close()
        if self.raw is not self.fileobj:
            self.raw.close()  # the decompressor; the file itself stays open

    def members(self) -> Iterator[tarfile.TarInfo]:
        tar = cast(tarfile.TarFile, self.tar)  # opened by __enter__
        count = 0
        while True:
            self.stream.budget = MAX_TAR_HEADER_BYTES
            try:
                member = tar.next()
            except RecursionError:
                raise InvalidArchive(
                    f"{self.filename} has too deeply chained tar headers"
                ) from None
            if member is None:
                return
            count += 1
            if count > self.limits.max_members:
                raise InvalidArchive(
                    f"{self.filename} has more than the limit of {self.limits.max_members} members"
                )
            tar.members.clear()  # type: ignore[attr-defined]  # nothing kept: memory stays flat
            if sum(len(k) + len(v) for k, v in tar.pax_headers.items()) > MAX_TAR_GLOBAL_PAX_BYTES:
                raise InvalidArchive(
                    f"{self.filename} has global pax headers larger than the "
                    f"limit of {MAX_TAR_GLOBAL_PAX_BYTES} bytes"
                )
            yield member

    def read(self, member: tarfile.TarInfo, what: str) -> bytes:
        """At most ``max_metadata_bytes`` of a regular member's data."""
        limit = self.limits.max_metadata_bytes
        if member.size > limit:
            raise InvalidArchive(f"{what} is larger than the limit of {limit} bytes")
        self.stream.budget = limit + READ_CHUNK
        extracted = cast(tarfile.TarFile, self.tar).extractfile(member)
        if extracted is None:
            return b""
        chunks, total = [], 0
        while total <= limit:
            chunk = extracted.read(READ_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise InvalidArchive(f"{what} is larger than the limit of {limit} bytes")
        return b"".join(chunks)
