"""Blob storage: a blob appears under its key only whole and fsynced; a file
already written in a temporary place is moved there rather than copied,
when the storage is local and on the same filesystem."""

import errno
import hashlib
import io
import os
import stat

import pytest

from indexes import storage
from indexes.storage import blob_key, blob_put

DATA = b"wheel bytes " * 1000
SHA = hashlib.sha256(DATA).hexdigest()


def _written(tmp_path):
    """A flushed temporary file holding DATA, as the mirror leaves one."""
    path = tmp_path / "tmp-file"
    fileobj = open(path, "w+b")
    fileobj.write(DATA)
    fileobj.flush()
    return fileobj, str(path)


def test_a_written_file_is_moved_into_place_fsynced(blob_dir, tmp_path, monkeypatch):
    fileobj, path = _written(tmp_path)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    with fileobj:
        assert blob_put(fileobj, SHA, path=path) == blob_key(SHA)
        assert synced == [fileobj.fileno()]
    assert not os.path.exists(path)  # moved, not copied
    blob = blob_dir / blob_key(SHA)
    assert blob.read_bytes() == DATA
    assert stat.S_IMODE(blob.stat().st_mode) == 0o644
    assert [p.name for p in blob.parent.iterdir()] == [SHA]


def test_another_filesystem_is_copied_and_the_file_left_to_its_owner(
    blob_dir, tmp_path, monkeypatch
):
    fileobj, path = _written(tmp_path)
    real_replace = os.replace

    def replace(src, dst):
        if src == path:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with fileobj:
        blob_put(fileobj, SHA, path=path)
    assert os.path.exists(path)
    blob = blob_dir / blob_key(SHA)
    assert blob.read_bytes() == DATA
    assert [p.name for p in blob.parent.iterdir()] == [SHA]  # no temporary left


def test_a_failed_fsync_leaves_no_blob(blob_dir, tmp_path, monkeypatch):
    fileobj, path = _written(tmp_path)

    def fsync(fd):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", fsync)
    with fileobj, pytest.raises(OSError):
        blob_put(fileobj, SHA, path=path)
    assert not (blob_dir / blob_key(SHA)).exists()
    with pytest.raises(OSError):  # the copy path: its temporary is removed
        blob_put(io.BytesIO(DATA), SHA)
    assert not (blob_dir / blob_key(SHA)).exists()
    assert not any(p.is_file() for p in blob_dir.rglob("*"))


def test_a_storage_that_is_not_local_copies(blob_dir, tmp_path, monkeypatch):
    """Only AtomicFileSystemStorage adopts a file: any other storage gets
    the bytes through ``save``."""
    saved = {}

    class Other:
        def exists(self, name):
            return False

        def save(self, name, content):
            saved[name] = content.read()
            return name

    monkeypatch.setattr(storage, "blob_storage", Other)
    fileobj, path = _written(tmp_path)
    with fileobj:
        blob_put(fileobj, SHA, path=path)
    assert saved == {blob_key(SHA): DATA} and os.path.exists(path)


def test_a_stored_blob_is_not_written_again(blob_dir, tmp_path):
    blob_put(io.BytesIO(DATA), SHA)
    fileobj, path = _written(tmp_path)
    with fileobj:
        blob_put(fileobj, SHA, path=path)
    assert os.path.exists(path)  # left to its owner, who removes it
