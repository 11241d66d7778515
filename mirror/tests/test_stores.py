"""The mirror's writes as plain statements: a fetched page kept (the serial
moved only when it changed), a stored file's and a metadata's row written
once however many workers store it."""

import errno
import hashlib
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from indexes.models import Index, ServerState
from indexes.serverstate import server_state
from indexes.storage import AtomicFileSystemStorage, blob_key
from mirror import services
from mirror.files import _file_record, mirror_fetch_file
from mirror.metadata import _store_metadata
from mirror.models import MirrorFile, MirrorProject
from mirror.pages import _row_values, _store
from mirror.upstream import UpstreamPage

pytestmark = pytest.mark.django_db

LINK = {
    "filename": "demo-1.0-py3-none-any.whl",
    "url": "http://127.0.0.1:9/files/demo-1.0-py3-none-any.whl",
    "sha256": "a" * 64,
    "version": "1.0",
    "requires_python": ">=3.8",
    "yanked": False,
    "core_metadata_sha256": "b" * 64,
}


def _values(links: list[dict], serial: int = 5) -> dict:
    return _row_values(UpstreamPage(200, links, etag='"e"', serial=serial), timezone.now())


def _generation(index: Index) -> int:
    return Index.objects.get(pk=index.pk).generation


def test_a_new_page_is_kept_as_the_orm_kept_it_and_moves_the_serial(mirror):
    _, serial = server_state()
    generation = _generation(mirror)
    values = _values([LINK])
    page = _store(mirror, "demo", None, values)
    assert page is not None and [f.filename for f in page.files] == [LINK["filename"]]
    assert page.versions == ["1.0"] and not page.stale
    row = MirrorProject.objects.get(index=mirror, name="demo")
    assert row.links == [LINK] and row.versions == ["1.0"] and row.exists
    assert (row.etag, row.serial, row.fetched_at) == ('"e"', 5, values["fetched_at"])
    assert row.last_error_at is None and row.last_modified == ""
    assert server_state()[1] == serial + 1 and _generation(mirror) == generation + 1


def test_an_unchanged_page_is_refreshed_without_moving_the_serial(mirror):
    _store(mirror, "demo", None, _values([LINK]))
    noted = timezone.now() - timedelta(hours=1)
    MirrorProject.objects.filter(name="demo").update(last_error="down", last_error_at=noted)
    cached = MirrorProject.objects.get(index=mirror, name="demo")
    _, serial = server_state()
    generation = _generation(mirror)
    values = _values([LINK], serial=6)
    page = _store(mirror, "demo", cached, values)
    assert page is not None and page.files[0].filename == LINK["filename"]
    assert server_state()[1] == serial and _generation(mirror) == generation
    row = MirrorProject.objects.get(pk=cached.pk)
    assert (row.serial, row.fetched_at, row.last_error) == (6, values["fetched_at"], "")
    assert row.last_error_at == noted  # not among the fields a fetch sets
    assert MirrorProject.objects.filter(index=mirror).count() == 1


def test_a_changed_or_vanished_page_moves_the_serial(mirror):
    _store(mirror, "demo", None, _values([LINK]))
    for links_or_gone in ([LINK, {**LINK, "filename": "demo-1.0.tar.gz"}], None):
        cached = MirrorProject.objects.get(index=mirror, name="demo")
        _, serial = server_state()
        if links_or_gone is None:
            values = _row_values(UpstreamPage(404), timezone.now())
            assert _store(mirror, "demo", cached, values) is None
        else:
            page = _store(mirror, "demo", cached, _values(links_or_gone))
            assert page is not None and len(page.files) == 2
        assert server_state()[1] == serial + 1
    assert not MirrorProject.objects.get(index=mirror, name="demo").exists


def test_a_page_stored_with_no_serial_row_makes_it(mirror):
    ServerState.objects.all().delete()
    _store(mirror, "demo", None, _values([LINK]))
    assert ServerState.objects.get(pk=1).serial == 1


def test_a_file_row_another_worker_wrote_stands(mirror):
    args = (mirror, "demo", LINK["filename"], LINK["sha256"])
    _file_record(*args, 10, LINK["url"])
    _file_record(*args, 99, "http://127.0.0.1:9/other")  # a conflict is no error
    (row,) = MirrorFile.objects.filter(index=mirror)
    assert (row.size, row.url, row.project) == (10, LINK["url"], "demo")
    assert row.stored_at is not None


def test_metadata_row_written_once_and_the_standing_one_returned(mirror, blob_dir):
    body = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
    link = {**LINK, "core_metadata_sha256": hashlib.sha256(body).hexdigest()}
    first = _store_metadata(mirror, "demo", link, body, "http://127.0.0.1:9/a.metadata")
    assert first.pk and first.filename == LINK["filename"] + ".metadata"
    assert MirrorFile.objects.get(pk=first.pk).stored_at == first.stored_at
    again = _store_metadata(mirror, "demo", link, body, "http://127.0.0.1:9/b.metadata")
    assert again.pk == first.pk and again.url == "http://127.0.0.1:9/a.metadata"
    assert again.stored_at == first.stored_at and again.size == len(body)
    assert MirrorFile.objects.filter(index=mirror).count() == 1


def test_a_fetched_file_is_moved_into_the_store_and_a_failure_leaves_nothing(
    mirror, upstream, blob_dir, settings, tmp_path, monkeypatch
):
    settings.DATA_DIR = tmp_path / "data"
    wheel = upstream.add("demo", "1.0")
    page = services.mirror_project_page(mirror, "demo")
    link = MirrorProject.objects.get(index=mirror, name="demo").links[0]
    blob = blob_dir / blob_key(link["sha256"])

    def fsync(fd):
        raise OSError(errno.EIO, "I/O error")

    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", fsync)
        with pytest.raises(OSError):
            mirror_fetch_file(mirror, "demo", link)
    assert not blob.exists() and not MirrorFile.objects.exists()
    assert os.listdir(settings.DATA_DIR / "tmp") == []
    with monkeypatch.context() as patched:  # moved into place, never copied
        patched.setattr(AtomicFileSystemStorage, "_save", None)
        assert mirror_fetch_file(mirror, "demo", link)  # the lease was released
    assert blob.read_bytes() == wheel.read_bytes()
    assert os.listdir(settings.DATA_DIR / "tmp") == [] and page is not None
    assert MirrorFile.objects.get(index=mirror).sha256 == link["sha256"]
