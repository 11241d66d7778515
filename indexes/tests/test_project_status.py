"""PEP 792 project status markers (issue 12 D) in process: who sets them,
what every bad input gets, the simple API markers, what archived and
quarantined do along the inheritance, cache invalidation, the JSON API, the
web form and ``manage.py devpi project-status``."""

import io
import json
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indexes import project_status as ps
from indexes.models import Index, ProjectStatus, ReleaseFile
from tests.factories import make_wheel

from .conftest import (
    JSON,
    PIP_ACCEPT,
    SIMPLE_JSON,
    api,
    assert_error,
    basic,
    mirror_cache_project,
    mirror_index,
    mirror_link,
    stage,
    upload,
)
from .conftest import devpi_stdout as devpi

pytestmark = pytest.mark.usefixtures("unrestricted")


def put_wheel(client, tmp_path, index="alice/dev", name="pkg", version="1.0", user="alice"):
    wheel = make_wheel(tmp_path / f"{index.replace('/', '-')}-{name}-{version}", name, version)
    return upload(client, f"/{index}/", wheel, name=name, version=version, headers=basic(user))


def patch(client, url, body, user="alice", password="pw"):
    headers = api(user, password) if user else {"HTTP_ACCEPT": JSON}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.patch(url, data, content_type=JSON, **headers)


# -- pure rules -----------------------------------------------------------------------


@dataclass
class Ix:
    id: int
    fullname: str = ""


@pytest.mark.parametrize(
    "statuses, contributing, expected",
    [
        ({}, set(), None),
        ({1: "archived"}, set(), "archived"),  # the index's own
        ({2: "deprecated"}, {2}, "deprecated"),  # a contributing base's
        ({2: "deprecated"}, {3}, None),  # a base that does not contribute
        ({1: "deprecated", 3: "quarantined"}, set(), "quarantined"),  # a quarantine anywhere wins
        ({1: "active", 2: "archived"}, {2}, "active"),  # the first along the order
    ],
)
def test_effective_status(statuses, contributing, expected):
    order = [Ix(1), Ix(2), Ix(3)]
    found = ps.effective(order, {k: ps.Status(v) for k, v in statuses.items()}, contributing)
    assert (found.status if found else None) == expected


@pytest.mark.parametrize(
    "filename, names",
    [
        ("pkg-1.0-py3-none-any.whl", {"pkg"}),
        ("pkg-1.0-py3-none-any.whl.metadata", {"pkg"}),
        ("My_Pkg-1.0.tar.gz", {"my-pkg"}),
        ("pkg-1.0.doc.zip", {"pkg"}),
        ("pkg-1.0-py3-none-any.whl.toxresult-20240101000000-0", {"pkg"}),
    ],
)
def test_file_projects(filename, names):
    assert ps.file_projects(filename) == names


# -- setting it --------------------------------------------------------------------------


def test_set_by_owner_and_root_only(client, dev, root, bob, tmp_path):
    put_wheel(client, tmp_path)
    r = patch(client, "/alice/dev/pkg", {"status": "deprecated", "reason": "use pkg2"})
    assert r.status_code == 200, r.content
    assert json.loads(r.content)["result"] == {"status": "deprecated", "reason": "use pkg2"}
    assert (
        patch(client, "/alice/dev/pkg", {"status": "archived"}, "root", "rootpw").status_code == 200
    )
    assert_error(
        patch(client, "/alice/dev/pkg", {"status": "active"}, "bob"),
        403,
        "no permission to set project statuses on alice/dev",
    )
    assert_error(
        patch(client, "/alice/dev/pkg", {"status": "active"}, None),
        401,
        "no permission to set project statuses",
    )
    assert ProjectStatus.objects.get().status == "archived"


def test_on_a_mirror_root_only(client, root, alice, blob_dir):
    mirror_index(alice, "mine")
    assert_error(
        patch(client, "/alice/mine/evil", {"status": "quarantined"}),
        403,
        "only root may set project statuses on the mirror index alice/mine",
    )
    r = patch(client, "/alice/mine/evil", {"status": "quarantined"}, "root", "rootpw")
    assert r.status_code == 200, r.content


@pytest.mark.parametrize(
    "body, message",
    [
        ("[1, 2]", "expected a JSON object"),
        ("not json", "could not decode JSON"),
        ({}, "'status' must be one of active, archived, deprecated, quarantined"),
        ({"status": "gone"}, "'status' must be one of"),
        ({"status": ["archived"]}, "'status' must be one of"),
        ({"status": "archived", "reason": 5}, "'reason' must be a string"),
        ({"status": "archived", "reason": "x" * 1001}, "at most 1000 characters"),
        ({"status": "archived", "reason": "bad\x00byte"}, "control characters"),
        ({"status": "archived", "yanked": True}, "unknown keys 'yanked'"),
    ],
)
def test_bad_input_changes_nothing(client, dev, body, message):
    generation = Index.objects.get(name="dev").generation
    assert_error(patch(client, "/alice/dev/pkg", body), 400, message)
    assert not ProjectStatus.objects.exists()
    assert Index.objects.get(name="dev").generation == generation


def test_bad_project_name(client, dev):
    assert_error(
        patch(client, "/alice/dev/-bad-", {"status": "archived"}), 400, "invalid project name"
    )
    assert not ProjectStatus.objects.exists()


# -- the simple API ------------------------------------------------------------------------


def test_markers_in_html_and_json(client, dev, tmp_path):
    put_wheel(client, tmp_path)
    page = client.get("/alice/dev/+simple/pkg/").content.decode()
    assert "pypi:project-status" not in page  # nothing set: active, no marker
    assert '<meta name="pypi:repository-version" content="1.4">' in page
    patch(client, "/alice/dev/pkg", {"status": "deprecated", "reason": 'use "x" <now>'})
    page = client.get("/alice/dev/+simple/pkg/").content.decode()
    assert '<meta name="pypi:project-status" content="deprecated">' in page
    assert (
        '<meta name="pypi:project-status-reason" content="use &quot;x&quot; &lt;now&gt;">' in page
    )
    data = json.loads(client.get("/alice/dev/+simple/pkg/", HTTP_ACCEPT=SIMPLE_JSON).content)
    assert data["meta"] == {"api-version": "1.4"}
    assert data["project-status"] == {"status": "deprecated", "reason": 'use "x" <now>'}
    assert [f["filename"] for f in data["files"]] == ["pkg-1.0-py3-none-any.whl"]
    # the JSON API, beside devpi's envelope
    body = json.loads(client.get("/alice/dev/pkg", HTTP_ACCEPT=JSON).content)
    assert body["project-status"] == {
        "status": "deprecated",
        "reason": 'use "x" <now>',
        "index": "alice/dev",
    }
    assert set(body["result"]) == {"1.0"}


def test_archived_refuses_uploads_and_pushes(client, dev, alice, tmp_path):
    put_wheel(client, tmp_path)
    stage(alice, "prod")
    put_wheel(client, tmp_path, index="alice/prod")
    patch(client, "/alice/dev/pkg", {"status": "archived"})
    patch(client, "/alice/prod/pkg", {"status": "archived"})
    before = ReleaseFile.objects.count()
    r = put_wheel(client, tmp_path, version="2.0")
    assert_error(r, 403, "project pkg is archived on alice/dev: uploads are refused")
    r = client.generic(
        "PUSH",
        "/alice/dev",
        json.dumps({"name": "pkg", "version": "1.0", "targetindex": "alice/prod"}),
        **api("alice"),
    )
    assert r.status_code == 403, r.content
    assert ReleaseFile.objects.count() == before
    # downloads go on
    file = ReleaseFile.objects.filter(index__name="dev").first()
    assert client.get(f"/alice/dev/+f/{file.hash_path}").status_code == 200


def test_quarantine_blocks_the_index_and_its_children(client, dev, alice, bob, tmp_path):
    put_wheel(client, tmp_path)
    stage(bob, "child", bases="alice/dev")
    file = ReleaseFile.objects.get()
    urls = [f"/alice/dev/+f/{file.hash_path}", f"/alice/dev/+f/{file.hash_path}.metadata"]
    for page in ("/alice/dev/+simple/pkg/", "/bob/child/+simple/pkg/"):
        assert b"pkg-1.0-py3-none-any.whl" in client.get(page).content  # cached now
    patch(client, "/alice/dev/pkg", {"status": "quarantined", "reason": "malware"})
    for page in ("/alice/dev/+simple/pkg/", "/bob/child/+simple/pkg/"):
        data = json.loads(client.get(page, HTTP_ACCEPT=PIP_ACCEPT).content)
        assert data["files"] == [] and data["versions"] == []
        assert data["project-status"] == {"status": "quarantined", "reason": "malware"}
    for url in urls:
        assert_error(client.get(url), 403, "project pkg is quarantined on alice/dev")
    r = put_wheel(client, tmp_path, version="2.0")
    assert_error(r, 403, "project pkg is quarantined on alice/dev: uploads are refused")
    # back to active: files again
    patch(client, "/alice/dev/pkg", {"status": "active"})
    assert client.get(urls[0]).status_code == 200
    data = json.loads(client.get("/bob/child/+simple/pkg/", HTTP_ACCEPT=SIMPLE_JSON).content)
    assert data["project-status"] == {"status": "active"}
    assert len(data["files"]) == 1


def test_quarantine_on_the_mirror_reaches_every_stage_over_it(client, root, alice, blob_dir):
    pypi = mirror_index(root, "pypi")
    link = mirror_link("evil-1.0.tar.gz", "1.0")
    mirror_cache_project(pypi, "evil", [link])
    stage(alice, "dev", bases="root/pypi")
    assert b"evil-1.0.tar.gz" in client.get("/alice/dev/+simple/evil/").content
    r = patch(
        client, "/root/pypi/evil", {"status": "quarantined", "reason": "CVE"}, "root", "rootpw"
    )
    assert r.status_code == 200, r.content
    for page in ("/root/pypi/+simple/evil/", "/alice/dev/+simple/evil/"):
        html = client.get(page).content.decode()
        assert "evil-1.0.tar.gz" not in html
        assert '<meta name="pypi:project-status" content="quarantined">' in html
    path = f"{link['sha256'][:3]}/{link['sha256'][3:16]}/evil-1.0.tar.gz"
    assert_error(client.get(f"/root/pypi/+f/{path}"), 403, "project evil is quarantined")
    # a name never fetched is blocked before the upstream is asked
    patch(client, "/root/pypi/never-seen", {"status": "quarantined"}, "root", "rootpw")
    r = client.get("/alice/dev/+simple/never-seen/", HTTP_ACCEPT=SIMPLE_JSON)
    assert r.status_code == 200 and json.loads(r.content)["files"] == []


def test_web_form(client, dev, bob, tmp_path):
    put_wheel(client, tmp_path)
    client.force_login(dev.owner)
    page = client.get("/alice/dev/pkg")
    assert b'action="/alice/dev/pkg/+status"' in page.content
    r = client.post("/alice/dev/pkg/+status", {"status": "archived", "reason": "done"})
    assert r.status_code == 302 and r["Location"] == "/alice/dev/pkg"
    page = client.get("/alice/dev/pkg").content.decode()
    assert "Project status: <strong>archived</strong>" in page and "done" in page
    r = client.post("/alice/dev/pkg/+status", {"status": "bogus"})
    assert r.status_code == 400 and b"&#x27;status&#x27; must be one of" in r.content
    assert ProjectStatus.objects.get().status == "archived"
    client.force_login(bob)
    assert b'action="/alice/dev/pkg/+status"' not in client.get("/alice/dev/pkg").content
    assert client.post("/alice/dev/pkg/+status", {"status": "active"}).status_code == 403
    client.logout()
    r = client.post("/alice/dev/pkg/+status", {"status": "active"})
    assert r.status_code == 302 and r["Location"].startswith("/+login")
    assert client.get("/alice/dev/pkg/+status").status_code == 405
    assert ProjectStatus.objects.get().status == "archived"


def test_csrf_protects_the_form(dev):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(dev.owner)
    assert strict.post("/alice/dev/pkg/+status", {"status": "archived"}).status_code == 403
    assert not ProjectStatus.objects.exists()


def test_command(client, root, dev, bob, tmp_path):
    put_wheel(client, tmp_path)

    assert devpi("--as", "alice", "project-status", "--index", "alice/dev", "pkg") == (
        "pkg on alice/dev: active\n"
    )
    assert (
        devpi(
            "--as",
            "alice",
            "project-status",
            "--index",
            "alice/dev",
            "Pkg",
            "archived",
            "--reason",
            "old",
        )
        == "pkg on alice/dev: archived (old)\n"
    )
    assert devpi("project-status", "--index", "alice/dev", "pkg") == (
        "pkg on alice/dev: archived (old)\n"
    )
    with pytest.raises(CommandError, match="'status' must be one of"):
        devpi("--as", "alice", "project-status", "--index", "alice/dev", "pkg", "gone")
    with pytest.raises(CommandError, match="no permission to set project statuses"):
        devpi("--as", "bob", "project-status", "--index", "alice/dev", "pkg", "active")
    assert ProjectStatus.objects.get().status == "archived"
    with pytest.raises(SystemExit):
        call_command("devpi", "project-status", "--help", stdout=io.StringIO())


def test_quarantined_json_api_lists_no_files(client, dev, tmp_path):
    put_wheel(client, tmp_path)
    patch(client, "/alice/dev/pkg", {"status": "quarantined"})
    for url in ("/alice/dev/pkg", "/alice/dev/pkg/1.0"):
        body = json.loads(client.get(url, HTTP_ACCEPT=JSON).content)
        assert body["project-status"]["status"] == "quarantined"
        data = body["result"] if url.endswith("1.0") else body["result"]["1.0"]
        assert data["+links"] == [] and data["version"] == "1.0"
    page = client.get("/alice/dev/pkg/1.0").content.decode()
    assert "pkg-1.0-py3-none-any.whl" not in page
