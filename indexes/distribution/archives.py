"""Archive inspection: is an uploaded file what its name says, and its metadata.

Pure functions over a seekable binary file object; no Django.
"""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import BytesParser
from typing import BinaryIO

from .filenames import DistFilename, versions_equal
from .names import normalize_name

MAX_METADATA_BYTES = 10 * 1024 * 1024


class InvalidArchive(ValueError):
    pass


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
    for key in set(k.lower() for k in msg.keys()):
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


def inspect_archive(fileobj: BinaryIO, dist: DistFilename) -> bytes | None:
    """Check the archive is readable and matches its name.

    Returns the wheel's METADATA bytes (served for PEP 658), else None.
    """
    fileobj.seek(0)
    try:
        if dist.packagetype == "bdist_wheel":
            return _inspect_wheel(fileobj, dist)
        if dist.filename.lower().endswith((".zip", ".egg")):
            _inspect_zip(fileobj, dist)
        elif dist.filename.lower().endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")):
            _inspect_tar(fileobj, dist)
        return None
    finally:
        fileobj.seek(0)


def _inspect_wheel(fileobj: BinaryIO, dist: DistFilename) -> bytes:
    try:
        with zipfile.ZipFile(fileobj) as zf:
            names = zf.namelist()
            candidates = [
                n for n in names
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            wanted = [n for n in candidates
                      if normalize_name(n.split("/")[0][: -len(".dist-info")].rsplit("-", 1)[0])
                      == dist.project]
            if len(wanted) != 1:
                raise InvalidArchive(
                    f"{dist.filename} has no single .dist-info/METADATA for {dist.project}")
            info = zf.getinfo(wanted[0])
            if info.file_size > MAX_METADATA_BYTES:
                raise InvalidArchive(f"{dist.filename}: METADATA is too large")
            data = zf.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError) as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid wheel (zip): {exc}") from None
    _check_name_version(parse_core_metadata(data), dist, f"{dist.filename} METADATA")
    return data


def _inspect_zip(fileobj: BinaryIO, dist: DistFilename) -> None:
    try:
        with zipfile.ZipFile(fileobj) as zf:
            if not zf.namelist():
                raise InvalidArchive(f"{dist.filename} is an empty archive")
            bad = zf.testzip()
            if bad is not None:
                raise InvalidArchive(f"{dist.filename}: corrupt member {bad!r}")
            if dist.packagetype == "sdist":
                pkg_info = [n for n in zf.namelist()
                            if n.count("/") == 1 and n.endswith("/PKG-INFO")]
                if len(pkg_info) == 1:
                    data = zf.read(pkg_info[0])[:MAX_METADATA_BYTES]
                    _check_name_version(parse_core_metadata(data), dist,
                                        f"{dist.filename} PKG-INFO")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid zip archive: {exc}") from None


def _inspect_tar(fileobj: BinaryIO, dist: DistFilename) -> None:
    try:
        with tarfile.open(fileobj=fileobj, mode="r:*") as tf:
            members = 0
            pkg_info = None
            for member in tf:
                members += 1
                if member.name.count("/") == 1 and member.name.endswith("/PKG-INFO"):
                    pkg_info = member
            if not members:
                raise InvalidArchive(f"{dist.filename} is an empty archive")
            if pkg_info is not None and dist.packagetype == "sdist" and pkg_info.isfile():
                extracted = tf.extractfile(pkg_info)
                data = extracted.read(MAX_METADATA_BYTES) if extracted else b""
                _check_name_version(parse_core_metadata(data), dist,
                                    f"{dist.filename} PKG-INFO")
    except (tarfile.TarError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise InvalidArchive(f"{dist.filename} is not a valid tar archive: {exc}") from None
