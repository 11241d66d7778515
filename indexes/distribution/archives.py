"""Archive inspection: is an uploaded file what its name says, and its metadata.

Pure functions over a seekable binary file object; no Django.

Every archive is hostile until inspected, and inspection is bounded
(``ArchiveLimits``, in ``limits``): a zip's central directory is checked from
its end record before ``zipfile`` reads it (``zipdirectory``); only the
metadata member is inflated, and at most ``max_metadata_bytes`` of it; a tar
is read header by header through a guard that caps the members, the header
bytes per member and the bytes inflated, and never goes backwards
(``tarstream``). No ``testzip()``: the archive's other members are not
inflated at all.
"""

from __future__ import annotations

import hashlib
import lzma
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from typing import BinaryIO, cast

from .filenames import DistFilename, versions_equal
from .limits import DEFAULT_LIMITS, ArchiveLimits, InvalidArchive
from .limits import MAX_MEMBERS as MAX_MEMBERS  # the devpi command reads it from here
from .names import normalize_name
from .tarstream import TarReader
from .zipdirectory import ZipDirectoryTooLarge, check_zip_directory

# What zipfile and the decompressors raise on damaged input.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    KeyError,
)
TAR_ERRORS = (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError)


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


def is_zip_name(filename: str) -> bool:
    return filename.lower().endswith((".whl", ".zip", ".egg"))


def is_tar_name(filename: str) -> bool:
    return filename.lower().endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar"))


def inspect_archive(
    fileobj: BinaryIO, dist: DistFilename, limits: ArchiveLimits = DEFAULT_LIMITS
) -> bytes | None:
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


def core_metadata_of(
    fileobj: BinaryIO, filename: str, limits: ArchiveLimits = DEFAULT_LIMITS
) -> bytes | None:
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
        with TarReader(fileobj, filename, limits) as reader:
            for member in reader.members():
                if (
                    member.isfile()
                    and member.name.count("/") == 1
                    and member.name.endswith("/PKG-INFO")
                ):
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


def _open_zip(
    fileobj: BinaryIO, filename: str, limits: ArchiveLimits, kind: str
) -> zipfile.ZipFile:
    """A ``ZipFile`` whose central directory passed the limits first."""
    try:
        check_zip_directory(
            fileobj, max_entries=limits.max_members, max_bytes=limits.max_directory_bytes
        )
    except ZipDirectoryTooLarge as exc:
        raise InvalidArchive(f"{filename} {exc}") from None
    except (OSError, ValueError) as exc:  # ZipDirectoryError too
        raise InvalidArchive(f"{filename} is not a valid {kind}: {exc}") from None
    fileobj.seek(0)
    try:
        return zipfile.ZipFile(fileobj)
    except ZIP_ERRORS as exc:
        raise InvalidArchive(f"{filename} is not a valid {kind}: {exc}") from None


def _read_zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ArchiveLimits, what: str
) -> bytes:
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


def _zip_metadata(
    fileobj: BinaryIO,
    dist: DistFilename,
    limits: ArchiveLimits,
    what: str,
    pick: Callable[[zipfile.ZipFile], zipfile.ZipInfo | None],
) -> bytes | None:
    """The metadata member that ``pick`` chooses in a zip (None: none to
    check), read within the limits; a broken zip is ``InvalidArchive``."""
    try:
        with _open_zip(fileobj, dist.filename, limits, what) as zf:
            info = pick(zf)
            if info is None:
                return None
            member = info.filename.rsplit("/", 1)[-1]
            return _read_zip_member(zf, info, limits, f"{dist.filename} {member}")
    except InvalidArchive:
        raise
    except ZIP_ERRORS as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid {what}: {exc}") from None


def _inspect_wheel(fileobj: BinaryIO, dist: DistFilename, limits: ArchiveLimits) -> bytes:
    def pick(zf: zipfile.ZipFile) -> zipfile.ZipInfo:
        candidates = [
            info
            for info in zf.infolist()
            if info.filename.count("/") == 1 and info.filename.endswith(".dist-info/METADATA")
        ]
        wanted = [
            info
            for info in candidates
            if normalize_name(info.filename.split("/")[0][: -len(".dist-info")].rsplit("-", 1)[0])
            == dist.project
        ]
        if len(wanted) != 1:
            raise InvalidArchive(
                f"{dist.filename} has no single .dist-info/METADATA for {dist.project}"
            )
        return wanted[0]

    data = cast(bytes, _zip_metadata(fileobj, dist, limits, "wheel (zip)", pick))  # pick chose one
    _check_name_version(parse_core_metadata(data), dist, f"{dist.filename} METADATA")
    return data


def _inspect_zip(fileobj: BinaryIO, dist: DistFilename, limits: ArchiveLimits) -> None:
    def pick(zf: zipfile.ZipFile) -> zipfile.ZipInfo | None:
        infos = zf.infolist()
        if not infos:
            raise InvalidArchive(f"{dist.filename} is an empty archive")
        if dist.packagetype != "sdist":
            return None
        pkg_info = [
            info
            for info in infos
            if info.filename.count("/") == 1 and info.filename.endswith("/PKG-INFO")
        ]
        return pkg_info[0] if len(pkg_info) == 1 else None

    data = _zip_metadata(fileobj, dist, limits, "zip archive", pick)
    if data is not None:
        _check_name_version(parse_core_metadata(data), dist, f"{dist.filename} PKG-INFO")


def _inspect_tar(fileobj: BinaryIO, dist: DistFilename, limits: ArchiveLimits) -> None:
    """Every member header is read (a truncated or damaged tar is refused);
    member data is skipped, except a top-level PKG-INFO's."""
    try:
        with TarReader(fileobj, dist.filename, limits) as reader:
            members = 0
            pkg_info: bytes | None = None  # the last top-level one, as tar extraction would
            for member in reader.members():
                members += 1
                if (
                    dist.packagetype == "sdist"
                    and member.isfile()
                    and member.name.count("/") == 1
                    and member.name.endswith("/PKG-INFO")
                ):
                    pkg_info = reader.read(member, f"{dist.filename} PKG-INFO")
            if not members:
                raise InvalidArchive(f"{dist.filename} is an empty archive")
    except InvalidArchive:
        raise
    except TAR_ERRORS as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid tar archive: {exc}") from None
    if pkg_info is not None:
        _check_name_version(parse_core_metadata(pkg_info), dist, f"{dist.filename} PKG-INFO")
