"""Hostile archives for the archive-inspection tests: small files that
inflate to a lot, or whose directories are huge. Written as streams, so the
test process itself stays small while it builds them."""

from __future__ import annotations

import gzip
import struct
import tarfile
import zipfile
from pathlib import Path

from tests.factories import _dist_name, core_metadata

CHUNK = b"\0" * (1024 * 1024)


def _write_zeros(out, total: int) -> None:
    left = total
    while left > 0:
        out.write(CHUNK[: min(left, len(CHUNK))])
        left -= min(left, len(CHUNK))


def zip_with_huge_member(
    path: Path, member: str, head: bytes, inflated: int, extra: dict[str, bytes] | None = None
) -> Path:
    """A zip whose ``member`` is ``head`` followed by zeros up to ``inflated``
    bytes (deflated: about a thousandth of that on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
        info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=inflated > 2**31) as out:
            out.write(head)
            _write_zeros(out, inflated - len(head))
    return path


def zip_sdist_pkg_info_bomb(
    directory: Path, name: str, version: str, inflated: int = 200 * 1024**2
) -> Path:
    base = f"{_dist_name(name)}-{version}"
    return zip_with_huge_member(
        Path(directory) / f"{base}.zip",
        f"{base}/PKG-INFO",
        core_metadata(name, version).encode(),
        inflated,
        {f"{base}/setup.py": b"from setuptools import setup\n"},
    )


def wheel_metadata_bomb(
    directory: Path, name: str, version: str, inflated: int = 200 * 1024**2
) -> Path:
    dist = _dist_name(name)
    return zip_with_huge_member(
        Path(directory) / f"{dist}-{version}-py3-none-any.whl",
        f"{dist}-{version}.dist-info/METADATA",
        core_metadata(name, version).encode(),
        inflated,
        {
            f"{dist}/__init__.py": b"",
            f"{dist}-{version}.dist-info/WHEEL": b"Wheel-Version: 1.0\nTag: py3-none-any\n\n",
        },
    )


def _tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 1577836800
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def tar_gz_bomb(
    directory: Path, name: str, version: str, *, members: int = 2048, member_size: int = 1024**2
) -> Path:
    """An sdist of ``members`` files of ``member_size`` zeros each, then
    PKG-INFO (last, as some build backends write it). Each file's header and
    zeros are gzip members of their own, concatenated (a valid gzip stream):
    2 GiB of tar in about 2 MB, built in a moment."""
    base = f"{_dist_name(name)}-{version}"
    path = Path(directory) / f"{base}.tar.gz"
    assert member_size % 512 == 0
    zeros = gzip.compress(b"\0" * member_size, compresslevel=9, mtime=0)
    with open(path, "wb") as out:
        for i in range(members):
            out.write(gzip.compress(_tar_header(f"{base}/data{i}.bin", member_size), mtime=0))
            out.write(zeros)
        data = core_metadata(name, version).encode()
        tail = _tar_header(f"{base}/PKG-INFO", len(data)) + data
        tail += b"\0" * (-len(tail) % 512) + b"\0" * 1024
        out.write(gzip.compress(tail, mtime=0))
    return path


def zip_with_entries(path: Path, entries: int, *, declared: int | None = None) -> Path:
    """A zip with ``entries`` central directory records (all naming one tiny
    stored file), written directly: zipfile itself would need the memory this
    attacks. ``declared``: the count the end record states (a lie if given)."""
    local_name = b"index.html"
    local = (
        struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(local_name), 0)
        + local_name
    )
    with open(path, "wb") as out:
        out.write(local)
        start = out.tell()
        for i in range(entries):
            name = f"p/{i:07x}.html".encode()
            out.write(
                struct.pack(
                    "<4s6H3L5H2L",
                    b"PK\x01\x02",
                    20,
                    20,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    len(name),
                    0,
                    0,
                    0,
                    0,
                    0o100644 << 16,
                    0,
                )
                + name
            )
        size = out.tell() - start
        count = entries if declared is None else declared
        count = min(count, 0xFFFF)
        out.write(
            struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0)
            if (declared is not None or entries <= 0xFFFF)
            else _zip64_end(entries, size, start)
        )
    return path


def _zip64_end(entries: int, size: int, start: int) -> bytes:
    record_at = start + size
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, start
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, record_at, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return record + locator + end
