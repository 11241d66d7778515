"""The write services without HTTP: the upload services refuse who may not
upload (whatever the driver), ``services.files`` writes every release file
row, and one rule keeps ``no_docs`` and ``only_docs`` apart."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import transaction
from django.utils import timezone

from indexes.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from indexes.models import Project, Release, ReleaseFile
from indexes.services.docs import doczip_upload
from indexes.services.files import FileFacts, log_entry, release_file_create, release_file_locked
from indexes.services.push import docs_selection_check, release_content
from indexes.services.uploads import (
    UploadForm,
    release_file_upload,
    release_register,
    upload_permission_check,
)
from indexes.storage import blob_put
from tests.factories import make_wheel

from .conftest import blob_files, mirror_index, stage


def form(**fields) -> UploadForm:
    return UploadForm(
        {key: [value] for key, value in {"name": "pkg", "version": "1.0", **fields}.items()}
    )


@pytest.fixture
def wheel(tmp_path):
    return make_wheel(tmp_path / "wheel", "pkg", "1.0")


def upload_as(user, index, wheel):
    with open(wheel, "rb") as fh:
        return release_file_upload(
            index=index, user=user, form=form(), filename=wheel.name, content=fh
        )


# -- upload permission, in the services -------------------------------------------------


def test_upload_services_refuse_anonymous_with_a_bare_401(alice, blob_dir, wheel):
    dev = stage(alice, "dev")
    with pytest.raises(Unauthorized) as refused:
        upload_as(None, dev, wheel)
    assert refused.value.message == "Unauthorized"
    with pytest.raises(Unauthorized):
        release_register(index=dev, user=None, form=form())
    with pytest.raises(Unauthorized):
        doczip_upload(index=dev, user=None, form=form(), content=io.BytesIO(b""))
    assert not Release.objects.exists() and not ReleaseFile.objects.exists()
    assert blob_files(blob_dir) == []


def test_upload_services_refuse_a_user_without_the_right_with_403(alice, bob, blob_dir, wheel):
    dev = stage(alice, "dev")
    with pytest.raises(Forbidden) as refused:
        upload_as(bob, dev, wheel)
    assert refused.value.message == "no permission to submit"
    with pytest.raises(Forbidden, match="no permission to submit"):
        release_register(index=dev, user=bob, form=form())
    with pytest.raises(Forbidden, match="no permission to submit"):
        doczip_upload(index=dev, user=bob, form=form(), content=io.BytesIO(b""))
    assert not Release.objects.exists() and not ReleaseFile.objects.exists()
    assert blob_files(blob_dir) == []


def test_upload_services_follow_acl_upload(alice, bob, blob_dir, wheel):
    shared = stage(alice, "shared", acl_upload=["alice", "bob"])
    assert upload_as(bob, shared, wheel).created
    upload_permission_check(user=bob, index=shared)
    anyone = stage(alice, "anyone", acl_upload=[":ANONYMOUS:"])
    assert upload_as(None, anyone, wheel).file.uploader == ""


def test_a_mirror_is_not_found_before_permission(alice, blob_dir, wheel):
    with pytest.raises(NotFound) as refused:
        upload_as(None, mirror_index(alice), wheel)
    assert refused.value.message == "cannot submit to mirror index"


# -- release file rows -------------------------------------------------------------------


def stored(data: bytes, filename: str = "pkg-1.0.tar.gz") -> FileFacts:
    sha256 = hashlib.sha256(data).hexdigest()
    blob_put(io.BytesIO(data), sha256)
    return FileFacts(
        filename=filename,
        sha256=sha256,
        size=len(data),
        packagetype="sdist",
        pyversion="source" * 20,
        core_metadata=b"Metadata-Version: 2.1\n",
    )


def release_of(index) -> Release:
    project = Project.objects.create(index=index, name="pkg", display_name="pkg")
    return Release.objects.create(project=project, version="1.0", metadata={})


def create(index, release, facts, **kwargs) -> ReleaseFile:
    with transaction.atomic():
        replacing = release_file_locked(index=index, filename=facts.filename)
        return release_file_create(
            index=index,
            release=release,
            facts=facts,
            uploaded_at=timezone.now(),
            uploader="alice",
            replacing=replacing,
            **kwargs,
        )


def test_release_file_create_writes_the_row_and_its_history(alice, blob_dir):
    dev = stage(alice, "dev")
    release = release_of(dev)
    earlier = log_entry("upload", "bob", dst="bob/dev")
    row = create(
        dev,
        release,
        stored(b"one"),
        history=[earlier],
        entry=log_entry("push", "alice", src="bob/dev", dst="alice/dev"),
    )
    assert [e["what"] for e in row.log] == ["upload", "push"]
    assert row.pyversion == ("source" * 20)[:64]
    assert len(row.core_metadata_sha256) == 64
    imported = create(dev, release, stored(b"two", "pkg-1.0.zip"), history=[earlier], entry=None)
    assert imported.log == [earlier]


def test_release_file_create_replaces_only_on_a_volatile_index(alice, blob_dir):
    dev = stage(alice, "dev")
    release = release_of(dev)
    first = create(dev, release, stored(b"one"), history=[], entry=log_entry("upload", "a"))
    second = create(
        dev, release, stored(b"two"), history=[], entry=log_entry("upload", "a"), keep_attached=True
    )
    assert second.pk == first.pk  # rewritten in place
    assert [(e["what"], e.get("count")) for e in second.log] == [("overwrite", 1), ("upload", None)]
    third = create(dev, release, stored(b"three"), history=[], entry=log_entry("push", "a"))
    assert third.pk != first.pk and ReleaseFile.objects.filter(index=dev).count() == 1
    assert third.log[0] == {**third.log[0], "what": "overwrite", "count": 2}
    prod = stage(alice, "prod", volatile=False)
    kept = create(prod, release_of(prod), stored(b"one"), history=[], entry=None)
    with pytest.raises(Conflict, match="pkg-1.0.tar.gz already exists in non-volatile index"):
        create(prod, kept.release, stored(b"two"), history=[], entry=None)
    assert ReleaseFile.objects.get(index=prod).sha256 == kept.sha256


# -- no_docs / only_docs -----------------------------------------------------------------


def test_one_rule_keeps_no_docs_and_only_docs_apart(alice, blob_dir):
    docs_selection_check(no_docs=True, only_docs=False)
    with pytest.raises(Invalid, match="can't use 'no_docs' and 'only_docs' together"):
        docs_selection_check(no_docs=True, only_docs=True)
    with pytest.raises(Invalid, match="can't use '--no-docs' and '--only-docs' together"):
        docs_selection_check(no_docs=True, only_docs=True, names=("--no-docs", "--only-docs"))
    with pytest.raises(Invalid, match="can't use 'no_docs' and 'only_docs' together"):
        release_content(
            source=stage(alice, "dev"), project="pkg", version="1.0", no_docs=True, only_docs=True
        )
