"""Archive inspection: is an uploaded file what its name says, and its metadata.

Pure functions over a seekable binary file object; no Django.

Every archive is hostile until inspected, and inspection is bounded (``ArchiveLimits``): a
zip's central directory is checked from its end record before ``zipfile`` reads it
(``zipdirectory``); only the metadata member is inflated, and at most ``max_metadata_bytes``
of it; a tar is read header by header through a guard that caps the members, the header
bytes per member and the bytes inflated, and never goes backwards. No ``testzip()``: the
archive's other members are not inflated at all.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesParser
from typing import IO, BinaryIO, cast

from .filenames import DistFilename, versions_equal
from .names import normalize_name
from .zipdirectory import MAX_DIRECTORY_BYTES, ZipDirectoryTooLarge, check_zip_directory

# A wheel's METADATA or an sdist's PKG-INFO: stored for PEP 658 and parsed.
MAX_METADATA_BYTES = 10 * 1024 * 1024
# Entries of a zip or members of a tar (DEVPI_ARCHIVE_MAX_MEMBERS); a zip's
# directory costs about half a KiB of memory per entry when opened.
MAX_MEMBERS = 100_000
# A tar is inflated to find PKG-INFO and to see that it is whole: at most
# max(MIN_INFLATED_BYTES, MAX_INFLATE_RATIO * its compressed size).
MIN_INFLATED_BYTES = 256 * 1024 * 1024
MAX_INFLATE_RATIO = 32
# Header bytes read for one tar member (its pax and GNU long-name headers).
MAX_TAR_HEADER_BYTES = 1024 * 1024
# The global pax headers of a tar, in total.
MAX_TAR_GLOBAL_PAX_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024

# What zipfile and the decompressors raise on damaged input.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
              struct.error, zlib.error, lzma.LZMAError, NotImplementedError, KeyError)
TAR_ERRORS = (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError)


class InvalidArchive(ValueError):
    pass


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = MAX_MEMBERS
    max_metadata_bytes: int = MAX_METADATA_BYTES
    max_directory_bytes: int = MAX_DIRECTORY_BYTES
    min_inflated_bytes: int = MIN_INFLATED_BYTES
    max_inflate_ratio: int = MAX_INFLATE_RATIO

    def max_inflated(self, compressed_size: int) -> int:
        return max(self.min_inflated_bytes, self.max_inflate_ratio * compressed_size)


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class Digests:
    sha256: str
    blake2_256: str
    md5: str
    size: int


def compute_digests(fileobj: BinaryIO, chunk_size: int = 1024 * 1024) -> Digests:
    fileobj.seek(0)
    sha256, blake2, md5 = hashlib.sha256(), hashlib.blake2b(digest_size=32), hashlib.md5()
    size = 0
    while chunk := fileobj.read(chunk_size):
        size += len(chunk)
        sha256.update(chunk)
        blake2.update(chunk)
        md5.update(chunk)
    fileobj.seek(0)
    return Digests(sha256.hexdigest(), blake2.hexdigest(), md5.hexdigest(), size)


def parse_core_metadata(data: bytes) -> dict[str, list[str] | str]:
    """Core metadata (RFC 822 style) -> {lowercase field: value or [values]}."""
    msg = BytesParser().parsebytes(data, headersonly=False)
    result: dict[str, list[str] | str] = {}
    for key in {k.lower() for k in msg}:  # a Message iterates over its field names
        values = [str(v) for v in msg.get_all(key, [])]
        result[key] = values if len(values) > 1 else values[0]
    return result


def _check_name_version(meta: dict, dist: DistFilename, where: str) -> None:
    name, version = meta.get("name"), meta.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise InvalidArchive(f"{where} has no Name or Version")
    if normalize_name(name) != dist.project:
        raise InvalidArchive(f"{where} names project {name!r}, the filename {dist.project!r}")
    if not versions_equal(version, dist.version):
        raise InvalidArchive(f"{where} has version {version!r}, the filename {dist.version!r}")


def _size(fileobj: BinaryIO) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def is_zip_name(filename: str) -> bool:
    return filename.lower().endswith((".whl", ".zip", ".egg"))


def is_tar_name(filename: str) -> bool:
    return filename.lower().endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar"))


def inspect_archive(fileobj: BinaryIO, dist: DistFilename,
                    limits: ArchiveLimits = DEFAULT_LIMITS) -> bytes | None:
    """Check the archive is readable, within ``limits`` and matches its name.

    Returns the wheel's METADATA bytes (served for PEP 658), else None.
    """
    fileobj.seek(0)
    try:
        if dist.packagetype == "bdist_wheel":
            return _inspect_wheel(fileobj, dist, limits)
        if is_zip_name(dist.filename):
            _inspect_zip(fileobj, dist, limits)
        elif is_tar_name(dist.filename):
            _inspect_tar(fileobj, dist, limits)
        return None
    finally:
        fileobj.seek(0)


def core_metadata_of(fileobj: BinaryIO, filename: str,
                     limits: ArchiveLimits = DEFAULT_LIMITS) -> bytes | None:
    """The core metadata a release file carries (a wheel's
    ``.dist-info/METADATA``, an egg's ``EGG-INFO/PKG-INFO``, an sdist's
    top-level ``PKG-INFO``), read within ``limits``; None when it has none."""
    lower = filename.lower()
    fileobj.seek(0)
    try:
        if is_zip_name(lower):
            with _open_zip(fileobj, filename, limits, "zip archive") as zf:
                for info in zf.infolist():
                    if _is_metadata_member(lower, info.filename):
                        return _read_zip_member(zf, info, limits, f"{filename} {info.filename}")
            return None
        with _TarReader(fileobj, filename, limits) as reader:
            for member in reader.members():
                if (member.isfile() and member.name.count("/") == 1
                        and member.name.endswith("/PKG-INFO")):
                    return reader.read(member, f"{filename} {member.name}")
        return None
    except InvalidArchive:
        raise
    except ZIP_ERRORS + TAR_ERRORS as exc:
        raise InvalidArchive(f"{filename} cannot be read: {exc}") from None
    finally:
        fileobj.seek(0)


def _is_metadata_member(lower_filename: str, member: str) -> bool:
    if lower_filename.endswith(".whl"):
        return member.count("/") == 1 and member.endswith(".dist-info/METADATA")
    if lower_filename.endswith(".egg"):
        return member == "EGG-INFO/PKG-INFO"
    return member.count("/") == 1 and member.endswith("/PKG-INFO")


# -- zip ------------------------------------------------------------------------------

def _open_zip(fileobj: BinaryIO, filename: str, limits: ArchiveLimits,
              kind: str) -> zipfile.ZipFile:
    """A ``ZipFile`` whose central directory passed the limits first."""
    try:
        check_zip_directory(fileobj, max_entries=limits.max_members,
                            max_bytes=limits.max_directory_bytes)
    except ZipDirectoryTooLarge as exc:
        raise InvalidArchive(f"{filename} {exc}") from None
    except (OSError, ValueError) as exc:  # ZipDirectoryError too
        raise InvalidArchive(f"{filename} is not a valid {kind}: {exc}") from None
    fileobj.seek(0)
    try:
        return zipfile.ZipFile(fileobj)
    except ZIP_ERRORS as exc:
        raise InvalidArchive(f"{filename} is not a valid {kind}: {exc}") from None


def _read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits,
                     what: str) -> bytes:
    """A member's bytes, never more than ``max_metadata_bytes`` inflated
    (``zipfile`` yields no more than the declared size and checks the CRC
    when the member is read to its end)."""
    limit = limits.max_metadata_bytes
    if info.file_size > limit:
        raise InvalidArchive(f"{what} is larger than the limit of {limit} bytes")
    if info.flag_bits & 0x1:
        raise InvalidArchive(f"{what} is encrypted")
    with zf.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise InvalidArchive(f"{what} is larger than the limit of {limit} bytes")
    return data


def _inspect_wheel(fileobj: BinaryIO, dist: DistFilename, limits: ArchiveLimits) -> bytes:
    try:
        with _open_zip(fileobj, dist.filename, limits, "wheel (zip)") as zf:
            candidates = [
                info for info in zf.infolist()
                if info.filename.count("/") == 1 and info.filename.endswith(".dist-info/METADATA")
            ]
            wanted = [info for info in candidates
                      if normalize_name(info.filename.split("/")[0][: -len(".dist-info")]
                                        .rsplit("-", 1)[0]) == dist.project]
            if len(wanted) != 1:
                raise InvalidArchive(
                    f"{dist.filename} has no single .dist-info/METADATA for {dist.project}")
            data = _read_zip_member(zf, wanted[0], limits, f"{dist.filename} METADATA")
    except InvalidArchive:
        raise
    except ZIP_ERRORS as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid wheel (zip): {exc}") from None
    _check_name_version(parse_core_metadata(data), dist, f"{dist.filename} METADATA")
    return data


def _inspect_zip(fileobj: BinaryIO, dist: DistFilename, limits: ArchiveLimits) -> None:
    try:
        with _open_zip(fileobj, dist.filename, limits, "zip archive") as zf:
            infos = zf.infolist()
            if not infos:
                raise InvalidArchive(f"{dist.filename} is an empty archive")
            if dist.packagetype != "sdist":
                return
            pkg_info = [info for info in infos
                        if info.filename.count("/") == 1 and info.filename.endswith("/PKG-INFO")]
            if len(pkg_info) != 1:
                return
            data = _read_zip_member(zf, pkg_info[0], limits, f"{dist.filename} PKG-INFO")
    except InvalidArchive:
        raise
    except ZIP_ERRORS as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid zip archive: {exc}") from None
    _check_name_version(parse_core_metadata(data), dist, f"{dist.filename} PKG-INFO")


# -- tar ------------------------------------------------------------------------------

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
            raise InvalidArchive(f"{self.filename} inflates to more than the limit of "
                                 f"{self.max_inflated} bytes")

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > self.budget:
            raise InvalidArchive(f"{self.filename} has a tar header larger than the limit of "
                                 f"{MAX_TAR_HEADER_BYTES} bytes")
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


class _TarReader:
    """A tar's members one at a time, within ``limits``, without keeping them."""

    def __init__(self, fileobj: BinaryIO, filename: str, limits: ArchiveLimits):
        self.fileobj, self.filename, self.limits = fileobj, filename, limits
        self.raw = _decompressed(fileobj)
        self.stream = _GuardedStream(self.raw, filename, limits.max_inflated(_size(fileobj)))
        self.tar: tarfile.TarFile | None = None

    def __enter__(self) -> _TarReader:
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
                raise InvalidArchive(f"{self.filename} has too deeply chained tar headers") \
                    from None
            if member is None:
                return
            count += 1
            if count > self.limits.max_members:
                raise InvalidArchive(f"{self.filename} has more than the limit of "
                                     f"{self.limits.max_members} members")
            tar.members.clear()  # type: ignore[attr-defined]  # nothing kept: memory stays flat
            if sum(len(k) + len(v) for k, v in tar.pax_headers.items()) > \
                    MAX_TAR_GLOBAL_PAX_BYTES:
                raise InvalidArchive(f"{self.filename} has global pax headers larger than the "
                                     f"limit of {MAX_TAR_GLOBAL_PAX_BYTES} bytes")
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


def _inspect_tar(fileobj: BinaryIO, dist: DistFilename, limits: ArchiveLimits) -> None:
    """Every member header is read (a truncated or damaged tar is refused);
    member data is skipped, except a top-level PKG-INFO's."""
    try:
        with _TarReader(fileobj, dist.filename, limits) as reader:
            members = 0
            pkg_info: bytes | None = None  # the last top-level one, as tar extraction would
            for member in reader.members():
                members += 1
                if (dist.packagetype == "sdist" and member.isfile()
                        and member.name.count("/") == 1 and member.name.endswith("/PKG-INFO")):
                    pkg_info = reader.read(member, f"{dist.filename} PKG-INFO")
            if not members:
                raise InvalidArchive(f"{dist.filename} is an empty archive")
    except InvalidArchive:
        raise
    except TAR_ERRORS as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid tar archive: {exc}") from None
    if pkg_info is not None:
        _check_name_version(parse_core_metadata(pkg_info), dist, f"{dist.filename} PKG-INFO")
