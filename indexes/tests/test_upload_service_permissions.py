"""The upload, docs and push services refuse by themselves, called directly
(``manage.py devpi`` and the client verbs call them so), what their user may
not do: 401 anonymous, 403 otherwise, and nothing stored."""

from __future__ import annotations

import io
import zipfile

import pytest

from indexes.errors import Forbidden, Unauthorized
from indexes.models import DocZip, Project, Release, ReleaseFile
from indexes.services.docs import doczip_upload
from indexes.services.push import release_push, release_push_external
from indexes.services.uploads import UploadForm, release_file_upload, release_register
from tests.factories import make_wheel

from .conftest import blob_files, stage

pytestmark = pytest.mark.django_db

# nothing listens on the discard port: a refused push never gets that far
DEAD = "http://127.0.0.1:9/legacy/"


def form(version: str = "1.0") -> UploadForm:
    return UploadForm({"name": ["pkg"], "version": [version]})


def doczip() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", b"<html>docs</html>")
    buffer.seek(0)
    return buffer


@pytest.fixture
def wheel(tmp_path):
    return make_wheel(tmp_path / "w", "pkg", "1.0")


def put(index, wheel, user):
    with wheel.open("rb") as fh:
        return release_file_upload(
            index=index, user=user, form=form(), filename=wheel.name, content=fh
        )


def nothing_stored(index) -> bool:
    return not (
        Project.objects.filter(index=index).exists()
        or ReleaseFile.objects.filter(index=index).exists()
        or DocZip.objects.filter(index=index).exists()
    )


@pytest.mark.parametrize(("who", "refusal"), [(None, Unauthorized), ("bob", Forbidden)])
def test_upload_services_refuse(dev, bob, wheel, blob_dir, who, refusal):
    user = bob if who else None
    with pytest.raises(refusal):
        put(dev, wheel, user)
    with pytest.raises(refusal):
        release_register(index=dev, user=user, form=form())
    with pytest.raises(refusal):
        doczip_upload(index=dev, user=user, form=form(), content=doczip())
    assert nothing_stored(dev)
    assert blob_files(blob_dir) == []


def test_upload_services_allow_acl_upload(alice, bob, wheel, blob_dir):
    shared = stage(alice, "shared", acl_upload=["alice", "bob"])
    assert put(shared, wheel, bob).created
    release_register(index=shared, user=bob, form=form("2.0"))
    assert doczip_upload(index=shared, user=bob, form=form(), content=doczip()).created
    assert Release.objects.filter(project__index=shared).count() == 2


@pytest.mark.parametrize(("who", "refusal"), [(None, Unauthorized), ("bob", Unauthorized)])
def test_internal_push_needs_upload_on_the_target(dev, prod, alice, bob, wheel, who, refusal):
    put(dev, wheel, alice)
    with pytest.raises(refusal, match="cannot upload to 'alice/prod'"):
        release_push(
            source=dev, project="pkg", version="1.0", target=prod, user=bob if who else None
        )
    assert nothing_stored(prod)


def test_internal_push_needs_read_on_the_source(alice, bob, wheel, blob_dir):
    secret = stage(alice, "secret", acl_read=["alice"])
    put(secret, wheel, alice)
    open_target = stage(bob, "dev")
    with pytest.raises(Forbidden, match="user 'bob' may not read alice/secret"):
        release_push(source=secret, project="pkg", version="1.0", target=open_target, user=bob)
    with pytest.raises(Unauthorized, match="authentication required to read alice/secret"):
        release_push(source=secret, project="pkg", version="1.0", target=open_target, user=None)
    assert nothing_stored(open_target)


@pytest.mark.parametrize(("who", "refusal"), [(None, Unauthorized), ("bob", Forbidden)])
def test_external_push_needs_upload_on_the_source(dev, alice, bob, wheel, who, refusal):
    put(dev, wheel, alice)
    with pytest.raises(refusal, match="an external push needs upload rights"):
        release_push_external(
            source=dev,
            project="pkg",
            version="1.0",
            posturl=DEAD,
            username="u",
            password="p",
            user=bob if who else None,
        )


def test_external_push_needs_read_on_the_source(alice, bob, wheel, blob_dir):
    """An uploader who may not read the source pushes nothing out of it."""
    secret = stage(alice, "secret", acl_read=["alice"], acl_upload=["alice", "bob"])
    put(secret, wheel, alice)
    with pytest.raises(Forbidden, match="user 'bob' may not read alice/secret"):
        release_push_external(
            source=secret,
            project="pkg",
            version="1.0",
            posturl=DEAD,
            username="u",
            password="p",
            user=bob,
        )
