"""Blob storage: release files stored once by content, through Django's
storage API (filesystem by default, S3 through django-storages).

A blob's key is a pure function of its sha256. Blobs are written under a
temporary name and moved into place only when complete, so a crash never
leaves a half-written file visible under its final key.
"""

from __future__ import annotations

import errno
import os
import tempfile
from functools import lru_cache
from typing import IO, BinaryIO, cast

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils._os import safe_join


def blob_key(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def blob_storage() -> Storage:
    return storages["blobs"]


@lru_cache(maxsize=4096)
def _joined(location: str, name: str) -> str:
    return safe_join(location, name)


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose saves are atomic and idempotent.

    Content addressed keys make overwriting harmless (same key, same bytes),
    so an existing name is replaced instead of renamed. A name's path (the
    checked join every download made: ``abspath``, ``normcase`` and a
    comparison) is kept per (location, name).
    """

    def path(self, name: str) -> str:
        return _joined(str(self.location), name)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name

    def _save(self, name: str, content: File) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                content.seek(0)
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, full_path)
        except BaseException:
            try:
                os.unlink(tmp_path)
            except FileNotFoundError:
                pass
            raise
        return name

    def adopt(self, name: str, fileobj: IO[bytes], tmp_path: str) -> bool:
        """Move ``tmp_path``, the flushed file ``fileobj`` writes, into place
        as ``name``: fsync, then rename (no copy). False, with the file left
        where it was, when it is on another filesystem."""
        full_path = self.path(name)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        os.fsync(fileobj.fileno())
        os.chmod(tmp_path, 0o644)
        try:
            os.replace(tmp_path, full_path)
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return False
            raise
        return True


def blob_put(fileobj: IO[bytes], sha256: str, *, path: str | None = None) -> str:
    """Store verified bytes under their content key (no-op if present).
    ``path``: the temporary file ``fileobj`` wrote and flushed, which a
    local storage on the same filesystem takes as it is (``adopt``): the
    file is gone from ``path`` then, else it stays for its owner to remove."""
    key = blob_key(sha256)
    storage = blob_storage()
    if storage.exists(key):
        return key
    if path is not None and isinstance(storage, AtomicFileSystemStorage):
        if storage.adopt(key, fileobj, path):
            return key
    fileobj.seek(0)
    storage.save(key, File(fileobj, name=key))
    return key


def blob_open(sha256: str) -> BinaryIO:
    """The blob's bytes, opened for reading (a context manager)."""
    # Storage.open gives a django File, which passes the file methods (read,
    # seek, tell, close, ``with``) on to the file it wraps; its stubs do not
    # say so
    return cast(BinaryIO, blob_storage().open(blob_key(sha256), "rb"))


def blob_local_path(sha256: str) -> str | None:
    """The local path of a blob when the storage is a filesystem, else None."""
    storage = blob_storage()
    try:
        return storage.path(blob_key(sha256))
    except NotImplementedError:
        return None


# -- unpacked documentation -------------------------------------------------
# A doczip's tree is a pure function of the zip's hash, so every index that
# holds the same zip (pushes) shares one tree. The marker is written after
# the last file: a tree without it is incomplete and is unpacked again.


def doc_prefix(sha256: str) -> str:
    return f"docs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def doc_key(sha256: str, relpath: str) -> str:
    return f"{doc_prefix(sha256)}/{relpath}"


def doc_marker_key(sha256: str) -> str:
    return f"{doc_prefix(sha256)}.unpacked"
