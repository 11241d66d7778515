"""Long descriptions are rendered once, when a release is stored, and pages
show the stored HTML (indexes.readme)."""

from __future__ import annotations

import pytest
from django.test import Client

from indexes import readme
from indexes.models import Release
from indexes.services import push as push_services
from tests.factories import make_wheel

from .conftest import basic, stage, upload


@pytest.fixture
def wheel(tmp_path):
    return make_wheel(tmp_path / "wheel", "pkg", "1.0")


@pytest.fixture
def renders(monkeypatch):
    """Counts the calls of the markup renderers."""
    calls = []
    original = readme.render_description

    def counting(*args, **kwargs):
        calls.append(args[0][:20])
        return original(*args, **kwargs)

    monkeypatch.setattr(readme, "render_description", counting)
    return calls


def store(client, wheel, description, content_type="text/markdown"):
    return upload(
        client,
        "/alice/dev/",
        wheel,
        name="pkg",
        version="1.0",
        headers=basic("alice"),
        extra=[("description", description), ("description_content_type", content_type)],
    )


def test_rendered_once_at_upload_and_never_on_views(
    dev, wheel, renders, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        assert store(client, wheel, "# Hello *world*").status_code == 200
    release = Release.objects.get()
    assert "<em>world</em>" in release.description_html
    assert len(renders) == 1
    for _ in range(3):
        page = client.get("/alice/dev/pkg/1.0", HTTP_ACCEPT="text/html")
        assert page.status_code == 200
        assert "<em>world</em>" in page.content.decode()
    assert len(renders) == 1


def test_new_metadata_replaces_the_html(dev, wheel, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        store(client, wheel, "first *one*")
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(
            client,
            "/alice/dev/",
            None,
            name="pkg",
            version="1.0",
            action="submit",
            headers=basic("alice"),
            extra=[("description", "second *two*"), ("description_content_type", "text/markdown")],
        )
        assert r.status_code == 200
    assert "<em>two</em>" in Release.objects.get().description_html


def test_releases_stored_before_are_rendered_once_at_first_view(dev, renders):
    from indexes.models import Project

    project = Project.objects.create(index=dev, name="old", display_name="old")
    Release.objects.create(
        project=project,
        version="1.0",
        metadata={
            "name": "old",
            "version": "1.0",
            "description": "*old*",
            "description_content_type": "text/markdown",
        },
    )
    client = Client()
    for _ in range(3):
        assert "<em>old</em>" in client.get("/alice/dev/old/1.0").content.decode()
    assert len(renders) == 1
    assert "<em>old</em>" in Release.objects.get().description_html


def test_push_copies_the_html(alice, dev, wheel, renders, django_capture_on_commit_callbacks):
    stage(alice, "prod")
    with django_capture_on_commit_callbacks(execute=True):
        store(Client(), wheel, "*pushed*")
    with django_capture_on_commit_callbacks(execute=True):
        push_services.release_push(
            source=dev, project="pkg", version="1.0", target="alice/prod", user=alice
        )
    copy = Release.objects.get(project__index__name="prod")
    assert "<em>pushed</em>" in copy.description_html
    assert len(renders) == 1


def test_size_cap(settings, dev, wheel, monkeypatch, django_capture_on_commit_callbacks):
    settings.DEVPI = {**settings.DEVPI, "DESCRIPTION_MAX_RENDER_BYTES": 1000}

    def refuse(*args, **kwargs):
        raise AssertionError("the markup renderer ran on an oversized description")

    monkeypatch.setattr(readme.readme_renderer.rst, "render", refuse)
    text = "Title\n=====\n\n" + "<script>x</script> word " * 200
    with django_capture_on_commit_callbacks(execute=True):
        assert store(Client(), wheel, text, "text/x-rst").status_code == 200
    html = Release.objects.get().description_html
    assert "longer than 1000 bytes" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert len(html) < 3000
