"""A zip's central directory, checked before ``zipfile`` reads it.

``zipfile.ZipFile`` reads the whole central directory into memory and builds
an object per entry (about half a KiB each) as soon as it is opened, whatever
the entry count. ``check_zip_directory`` finds the directory the way
``zipfile`` does (the end-of-central-directory record, and the zip64 one when
its locator is there), refuses a directory larger than ``max_bytes`` or one
that declares more than ``max_entries`` entries, then counts the entries
really there (a count can lie) without building anything. Pure; no Django.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

END = struct.Struct("<4s4H2LH")  # end of central directory record
END_SIGNATURE = b"PK\x05\x06"
END64_LOCATOR = struct.Struct("<4sLQL")
END64_LOCATOR_SIGNATURE = b"PK\x06\x07"
END64 = struct.Struct("<4sQ2H2L4Q")
END64_SIGNATURE = b"PK\x06\x06"
CENTRAL_SIGNATURE = b"PK\x01\x02"
CENTRAL_SIZE = 46  # the fixed part of a central directory entry
CENTRAL_LENGTHS = struct.Struct("<3H")  # name, extra field, comment lengths at offset 28
MAX_COMMENT = 0xFFFF
# The bytes of a central directory we let zipfile read (it reads it whole).
MAX_DIRECTORY_BYTES = 32 * 1024 * 1024
READ_CHUNK = 1024 * 1024


class ZipDirectoryError(ValueError):
    """Not a zip, or a damaged one ("no end of central directory record")."""


class ZipDirectoryTooLarge(ZipDirectoryError):
    """Over a limit; the message reads after the archive's name ("has 400000
    entries, more than the limit of 10000")."""


@dataclass(frozen=True)
class ZipDirectory:
    start: int  # where the central directory starts in the file
    size: int  # its bytes, as declared
    declared_entries: int


def _end_record(fileobj: BinaryIO) -> tuple[tuple, int]:
    """(fields, offset) of the end record ``zipfile`` would use."""
    fileobj.seek(0, 2)
    filesize = fileobj.tell()
    if filesize < END.size:
        raise ZipDirectoryError("no end of central directory record")
    fileobj.seek(filesize - END.size)
    data = fileobj.read(END.size)
    if data[:4] == END_SIGNATURE and data[-2:] == b"\x00\x00":
        return END.unpack(data), filesize - END.size
    # an archive comment follows the record: the last signature in the tail
    tail_start = max(filesize - MAX_COMMENT - END.size, 0)
    fileobj.seek(tail_start)
    tail = fileobj.read()
    found = tail.rfind(END_SIGNATURE)
    if found < 0 or len(tail) - found < END.size:
        raise ZipDirectoryError("no end of central directory record")
    return END.unpack(tail[found : found + END.size]), tail_start + found


def find_zip_directory(fileobj: BinaryIO) -> ZipDirectory:
    fields, offset = _end_record(fileobj)
    entries, size, dir_offset = fields[4], fields[5], fields[6]
    start = offset - size
    if offset >= END64_LOCATOR.size:
        fileobj.seek(offset - END64_LOCATOR.size)
        locator = fileobj.read(END64_LOCATOR.size)
        if len(locator) == END64_LOCATOR.size and locator[:4] == END64_LOCATOR_SIGNATURE:
            record_at = offset - END64_LOCATOR.size - END64.size
            if record_at >= 0:
                fileobj.seek(record_at)
                record = fileobj.read(END64.size)
                if len(record) == END64.size and record[:4] == END64_SIGNATURE:
                    values = END64.unpack(record)
                    entries, size, dir_offset = values[7], values[8], values[9]
                    start = record_at - size
    del dir_offset  # zipfile trusts the position, not the recorded offset
    if start < 0:
        raise ZipDirectoryError("central directory outside the file")
    return ZipDirectory(start=start, size=size, declared_entries=entries)


def check_zip_directory(fileobj: BinaryIO, *, max_entries: int, max_bytes: int) -> int:
    """The number of entries, or ``ZipDirectoryError`` when over a limit or
    not a zip. Leaves the file position undefined."""
    directory = find_zip_directory(fileobj)
    if directory.declared_entries > max_entries:
        raise ZipDirectoryTooLarge(
            f"has {directory.declared_entries} entries, more than the limit of {max_entries}"
        )
    if directory.size > max_bytes:
        raise ZipDirectoryTooLarge(
            f"has a central directory of {directory.size} bytes, more than the limit of {max_bytes}"
        )
    # counted in chunks: a refused directory is never held in memory whole
    count = position = 0
    chunk, chunk_at = b"", 0
    while position < directory.size:
        if position + CENTRAL_SIZE > chunk_at + len(chunk):
            fileobj.seek(directory.start + position)
            chunk, chunk_at = fileobj.read(min(READ_CHUNK, directory.size - position)), position
        at = position - chunk_at
        if chunk[at : at + 4] != CENTRAL_SIGNATURE or at + CENTRAL_SIZE > len(chunk):
            raise ZipDirectoryError("damaged central directory")
        count += 1
        if count > max_entries:
            raise ZipDirectoryTooLarge(f"has more than the limit of {max_entries} entries")
        name, extra, comment = CENTRAL_LENGTHS.unpack_from(chunk, at + 28)
        position += CENTRAL_SIZE + name + extra + comment
    return count
