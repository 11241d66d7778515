"""The bounds every archive read keeps, and the error that refuses an
archive. Pure; no Django. ``archives`` (and ``tarstream``) read within them;
``ArchiveLimits`` carries the deployment's values (DEVPI_ARCHIVE_MAX_MEMBERS).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from .zipdirectory import MAX_DIRECTORY_BYTES

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


def file_size(fileobj: BinaryIO) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size
