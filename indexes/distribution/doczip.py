"""Documentation zips: which entries may be unpacked, checked before a
single byte is written. Pure functions over a seekable binary file; no Django.

Refused: anything that is not a zip; a zip whose end record declares more
than ``max_files`` entries or whose central directory is too large, checked
before ``zipfile`` reads the directory (``zipdirectory``); entries with an absolute path, a drive
letter, a backslash or a ``..`` component; symbolic links and other special
files; encrypted entries; the same path twice, or a path that is both a file
and a directory; more entries than ``max_files``; more than ``max_bytes``
uncompressed in total (the declared sizes: ``zipfile`` never yields more
than an entry declares and fails on a CRC mismatch, so they bound what is
written).
"""

from __future__ import annotations

import lzma
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from .zipdirectory import (
    MAX_DIRECTORY_BYTES,
    ZipDirectoryError,
    ZipDirectoryTooLarge,
    check_zip_directory,
)

DRIVE = re.compile(r"^[A-Za-z]:")
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# What reading a checked entry may still raise (damaged data, a CRC mismatch):
# the unpacking step turns these into a 400 and removes what it wrote.
READ_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
)


class InvalidDocZip(ValueError):
    pass


@dataclass(frozen=True)
class DocMember:
    info: zipfile.ZipInfo
    path: str  # normalised: relative, "/"-separated, no "." or empty parts


def member_path(name: str) -> str:
    """The normalised relative path of an entry name, or ``InvalidDocZip``.
    A directory entry's path ends without the slash; "" is the root."""
    if not name:
        raise InvalidDocZip("documentation zip has an entry without a name")
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        raise InvalidDocZip(f"documentation zip entry {name!r} has control characters")
    if "\\" in name:
        raise InvalidDocZip(f"documentation zip entry {name!r} contains a backslash")
    if name.startswith("/") or DRIVE.match(name):
        raise InvalidDocZip(f"documentation zip entry {name!r} has an absolute path")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidDocZip(f"documentation zip entry {name!r} escapes the documentation root")
    return "/".join(parts)


def _zip_entries(fileobj: BinaryIO, max_files: int) -> list[zipfile.ZipInfo]:
    """The zip's entries, its directory checked before ``zipfile`` reads it."""
    try:
        check_zip_directory(fileobj, max_entries=max_files, max_bytes=MAX_DIRECTORY_BYTES)
    except ZipDirectoryTooLarge as exc:
        raise InvalidDocZip(f"documentation zip {exc}") from None
    except (ZipDirectoryError, OSError):
        raise InvalidDocZip("documentation upload is not a valid zip file") from None
    fileobj.seek(0)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        struct.error,
        NotImplementedError,
    ):  # e.g. "zip file version 6.4"
        raise InvalidDocZip("documentation upload is not a valid zip file") from None
    with archive:
        infos = archive.infolist()
    if len(infos) > max_files:
        raise InvalidDocZip(
            f"documentation zip has {len(infos)} entries, more than the limit of {max_files}"
        )
    return infos


def _entry_kind(info: zipfile.ZipInfo) -> int:
    """The entry's file type bits; symbolic links, encrypted entries and
    unknown compressions refused."""
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise InvalidDocZip(f"documentation zip entry {info.filename!r} is a symbolic link")
    if info.flag_bits & 0x1:
        raise InvalidDocZip(f"documentation zip entry {info.filename!r} is encrypted")
    if info.compress_type not in COMPRESSIONS:
        raise InvalidDocZip(
            f"documentation zip entry {info.filename!r} has an unsupported "
            f"compression method ({info.compress_type})"
        )
    return kind


def check_doczip(fileobj: BinaryIO, *, max_files: int, max_bytes: int) -> list[DocMember]:
    """The file entries to unpack, in zip order, or ``InvalidDocZip``."""
    infos = _zip_entries(fileobj, max_files)
    members: list[DocMember] = []
    files: set[str] = set()
    directories: set[str] = set()
    total = 0
    for info in infos:
        path = member_path(info.filename)
        kind = _entry_kind(info)
        if info.is_dir() or kind == stat.S_IFDIR:
            if path:
                directories.add(path)
            continue
        if kind not in (0, stat.S_IFREG):
            raise InvalidDocZip(f"documentation zip entry {info.filename!r} is not a regular file")
        if not path:
            raise InvalidDocZip(f"documentation zip entry {info.filename!r} has no file name")
        if path in files:
            raise InvalidDocZip(f"documentation zip has {path!r} more than once")
        files.add(path)
        total += info.file_size
        if total > max_bytes:
            raise InvalidDocZip(
                f"documentation zip unpacks to more than the limit of {max_bytes} bytes"
            )
        members.append(DocMember(info, path))
    for path in files:
        parent = path.rpartition("/")[0]
        while parent:
            directories.add(parent)
            parent = parent.rpartition("/")[0]
    clash = sorted(files & directories)
    if clash:
        raise InvalidDocZip(f"documentation zip has {clash[0]!r} as a file and as a directory")
    return members
