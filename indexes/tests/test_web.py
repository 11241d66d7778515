"""The web UI in-process: pages at devpi's URLs by content negotiation,
login with sessions and CSRF, index forms through the API's services,
permissions, escaping of descriptions, pagination, search, status, admin."""

import base64
import hashlib
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from indexes.distribution.names import normalize_name
from indexes.models import Index, Project, Release, ReleaseFile
from indexes.readme import render_description
from indexes.services import indexes as index_services
from indexes.services import users as user_services

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"HTTP_ACCEPT": "application/json"}


# the web pages' own users (made by the user service, with their own passwords
# and an email) and ``alice/dev`` over ``alice/base``: not tests/fixtures.py's
@pytest.fixture
def web_alice():
    return user_services.user_create(
        username="alice", data={"password": "alice-pw", "email": "alice@example.com"}
    )


@pytest.fixture
def web_bob():
    return user_services.user_create(username="bob", data={"password": "bob-pw"})


@pytest.fixture
def base(web_alice):
    return index_services.index_create(owner=web_alice, name="base", data={"title": "The base"})


@pytest.fixture
def web_dev(web_alice, base):
    return index_services.index_create(owner=web_alice, name="dev", data={"bases": "alice/base"})


def release(
    index,
    name,
    version,
    *,
    summary="",
    description="",
    content_type="",
    files=(),
    uploader="alice",
    **metadata,
):
    project, _ = Project.objects.get_or_create(
        index=index, name=normalize_name(name), defaults={"display_name": name}
    )
    rel = Release.objects.create(
        project=project,
        version=version,
        metadata={
            "name": name,
            "version": version,
            "summary": summary,
            "description": description,
            "description_content_type": content_type,
            **metadata,
        },
    )
    for filename in files:
        ReleaseFile.objects.create(
            release=rel,
            index=index,
            filename=filename,
            sha256=hashlib.sha256(f"{index.fullname}/{filename}".encode()).hexdigest(),
            size=123456,
            uploaded_at=timezone.now(),
            uploader=uploader,
            packagetype="bdist_wheel" if filename.endswith(".whl") else "sdist",
        )
    return rel


def logged_in(user, password, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    assert client.login(username=user.username, password=password)
    return client


def csrf_token(client, url) -> str:
    page = client.get(url, **BROWSER).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def text(response) -> str:
    return response.content.decode()


# -- pages and content negotiation ----------------------------------------------


def test_root_page_lists_users_and_indexes_and_json_stays_json(client, web_dev):
    page = client.get("/", **BROWSER)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert '<a href="/alice/dev">alice/dev</a>' in text(page)
    assert '<a href="/alice/base">alice/base</a>' in text(page)
    data = client.get("/", **JSON).json()
    assert data["type"] == "list:userconfig" and set(data["result"]["alice"]["indexes"]) == {
        "base",
        "dev",
    }


def test_user_page_lists_indexes_and_owner_controls(client, web_alice, web_bob, web_dev):
    anonymous = text(client.get("/alice", **BROWSER))
    assert "alice/dev" in anonymous and "Create an index" not in anonymous
    own = text(logged_in(web_alice, "alice-pw").get("/alice", **BROWSER))
    assert 'href="/alice/+create-index"' in own and 'href="/alice/+settings"' in own
    other = text(logged_in(web_bob, "bob-pw").get("/alice", **BROWSER))
    assert "+create-index" not in other and "/alice/+settings" not in other


def test_index_page_shows_config_bases_acls_and_projects(client, web_dev):
    release(web_dev, "Hello-World", "1.0", summary="first")
    release(web_dev, "Hello-World", "1.10", summary="latest & greatest")
    release(web_dev, "Hello-World", "1.9", summary="older")
    page = client.get("/alice/dev", **BROWSER)
    body = text(page)
    assert page.status_code == 200
    assert '<a href="/alice/base">alice/base</a>' in body
    assert "Upload allowed for</dt><dd>alice</dd>" in body
    assert "Tox results allowed for</dt><dd>:ANONYMOUS:</dd>" in body
    assert '<a href="/alice/dev/hello-world">Hello-World</a>' in body
    assert '<a href="/alice/dev/hello-world/1.10">1.10</a>' in body
    assert "latest &amp; greatest" in body
    assert client.get("/alice/dev", **JSON).json()["result"]["projects"] == ["hello-world"]


def test_index_page_paginates_2000_projects(client, web_dev, django_assert_max_num_queries):
    projects = Project.objects.bulk_create(
        [
            Project(index=web_dev, name=f"proj-{n:04d}", display_name=f"Proj-{n:04d}")
            for n in range(2000)
        ]
    )
    Release.objects.bulk_create(
        [
            Release(project=p, version=v, metadata={"summary": f"{p.name} at {v}"})
            for p in projects
            for v in ("1.0", "2.0")
        ]
    )
    with django_assert_max_num_queries(15):
        first = text(client.get("/alice/dev", **BROWSER))
    rows = re.findall(r'<a href="/alice/dev/(proj-\d{4})">', first)
    assert rows == [f"proj-{n:04d}" for n in range(100)]
    assert '<a href="/alice/dev/proj-0000/2.0">2.0</a>' in first
    assert "proj-0000 at 2.0" in first
    assert "Page 1 of 20" in first and "(2000 in all)" in first
    assert 'href="?page=2" rel="next"' in first
    last = text(client.get("/alice/dev?page=20", **BROWSER))
    assert re.findall(r'<a href="/alice/dev/(proj-\d{4})">', last) == [
        f"proj-{n:04d}" for n in range(1900, 2000)
    ]
    assert 'rel="next"' not in last and 'href="?page=19" rel="prev"' in last
    # out of range and junk page numbers give a page, not an error
    assert "Page 20 of 20" in text(client.get("/alice/dev?page=999", **BROWSER))
    assert "Page 1 of 20" in text(client.get("/alice/dev?page=x", **BROWSER))


def test_project_page_lists_versions_from_the_index_and_its_bases(client, base, web_dev):
    release(base, "pkg", "1.0", summary="from base", files=["pkg-1.0.tar.gz"])
    release(base, "pkg", "2.0", summary="shadowed in base", files=["pkg-2.0.tar.gz"])
    release(web_dev, "pkg", "2.0", summary="from dev", files=["pkg-2.0-py3-none-any.whl"])
    release(web_dev, "pkg", "3.0rc1", summary="pre", files=["pkg-3.0rc1.tar.gz"])
    body = text(client.get("/alice/dev/pkg", **BROWSER))
    versions = re.findall(r'<a href="/alice/dev/pkg/([^"]+)">', body)
    assert versions == ["3.0rc1", "2.0", "1.0"]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]
    assert "/alice/dev" in rows[1] and "shadows alice/base" in rows[1] and "from dev" in rows[1]
    assert '<a href="/alice/base">alice/base</a>' in rows[2] and "from base" in rows[2]
    assert client.get("/alice/dev/pkg", **JSON).json()["type"] == "projectconfig"


def test_version_page_shows_files_with_details(client, base, web_dev):
    release(
        base,
        "pkg",
        "1.0",
        summary="A package",
        files=["pkg-1.0.tar.gz", "pkg-1.0-py3-none-any.whl"],
        uploader="carol",
        author="Carol",
        home_page="javascript:alert(1)",
        project_urls=["Source, https://example.com/src"],
    )
    body = text(client.get("/alice/dev/pkg/1.0", **BROWSER))
    sha = hashlib.sha256(b"alice/base/pkg-1.0.tar.gz").hexdigest()
    assert f'href="http://testserver/alice/base/+f/{sha[:3]}/{sha[3:16]}/pkg-1.0.tar.gz"' in body
    assert sha in body
    assert "120.6\xa0KB" in body  # 123456 bytes
    assert "carol" in body and "Carol" in body
    assert 'From <a href="/alice/base">alice/base</a>, a base of' in body
    assert '<a href="https://example.com/src"' in body
    assert 'href="javascript:' not in body  # only http(s) metadata URLs become links
    assert "Tox results" not in body  # no tox results, no table


def tox_report(env: str, retcode: int, host: str = "ci-host") -> bytes:
    return json.dumps(
        {
            "reportversion": "1",
            "toxversion": "4.11.0",
            "platform": "linux",
            "host": host,
            "testenvs": {
                env: {
                    "python": {"version": "3.11.7 (main) [GCC 12.2.0]"},
                    "setup": [{"command": ["pip", "install"], "output": "", "retcode": 0}],
                    "test": [{"command": ["pytest"], "output": "", "retcode": retcode}],
                }
            },
        }
    ).encode()


def test_version_page_shows_tox_results_per_file_with_status(client, web_dev):
    from toxresults.services import toxresult_store

    release(web_dev, "pkg", "1.0", files=["pkg-1.0.tar.gz", "pkg-1.0-py3-none-any.whl"])
    wheel = ReleaseFile.objects.get(filename="pkg-1.0-py3-none-any.whl")
    toxresult_store(file=wheel, body=tox_report("py311", 0), user=None)
    toxresult_store(file=wheel, body=tox_report("py312", 1), user=None)
    body = text(client.get("/alice/dev/pkg/1.0", **BROWSER))
    tox = body.split('id="tox-heading"')[1]
    assert '<h3 class="filename">pkg-1.0-py3-none-any.whl</h3>' in tox
    assert "pkg-1.0.tar.gz</h3>" not in tox  # no results, no table
    rows = re.findall(r'<tr class="tox-(\w[\w-]*)">(.*?)</tr>', tox, re.S)
    # newest report first, as devpi-client lists them
    assert [(cls, "py311" in row, "py312" in row) for cls, row in rows] == [
        ("failed", False, True),
        ("passed", True, False),
    ]
    assert 'class="status status-failed"' in rows[0][1] and "tests failed" in rows[0][1]
    assert 'class="status status-passed"' in rows[1][1] and "tests passed" in rows[1][1]
    assert "3.11.7" in rows[1][1] and "ci-host" in rows[1][1]
    assert f'href="/alice/dev/+f/{wheel.sha256[:3]}/{wheel.sha256[3:16]}/' in rows[1][1]


def test_version_page_without_tox_results_app_data_still_renders(client, web_dev, monkeypatch):
    from toxresults import selectors as tox_selectors

    def broken(**kwargs):
        raise RuntimeError("tox results store unavailable")

    release(web_dev, "pkg", "1.0", files=["pkg-1.0.tar.gz"])
    monkeypatch.setattr(tox_selectors, "toxresult_summaries", broken)
    r = client.get("/alice/dev/pkg/1.0", **BROWSER)
    assert r.status_code == 200 and "pkg-1.0.tar.gz" in text(r) and "Tox results" not in text(r)


def test_version_page_links_documentation_when_present(client, web_dev):
    from indexes.models import DocZip

    rel = release(web_dev, "pkg", "1.0", files=["pkg-1.0.tar.gz"])
    assert "Documentation" not in text(client.get("/alice/dev/pkg/1.0", **BROWSER))
    DocZip.objects.create(
        release=rel,
        index=web_dev,
        filename="pkg-1.0.doc.zip",
        sha256="a" * 64,
        size=10,
        uploaded_at=timezone.now(),
    )
    body = text(client.get("/alice/dev/pkg/1.0", **BROWSER))
    assert '<a class="button button-secondary" href="/alice/dev/pkg/1.0/+d/index.html">' in body


def test_version_page_renders_descriptions_inert(client, web_dev):
    evil = "<script>alert('x')</script>"
    release(
        web_dev,
        "rst",
        "1.0",
        description=f"Title\n=====\n\n{evil}\n\n`a <javascript:x()>`_\n",
        content_type="text/x-rst",
    )
    release(
        web_dev,
        "md",
        "1.0",
        description=f"# Title\n\n{evil}\n\n<img src=x onerror=alert(1)>\n",
        content_type="text/markdown; charset=UTF-8; variant=GFM",
    )
    release(web_dev, "plain", "1.0", description=evil, content_type="text/plain")
    release(web_dev, "broken", "1.0", description=f"bad `rst {evil}")
    for project in ("rst", "md", "plain", "broken"):
        body = text(client.get(f"/alice/dev/{project}/1.0", **BROWSER))
        assert "<script>alert" not in body, project
        assert "&lt;script&gt;alert(" in body, project
        assert "onerror" not in body and "javascript:x" not in body, project
    assert "<h1" in text(client.get("/alice/dev/md/1.0", **BROWSER)).split("Description")[1]


def test_render_description_by_content_type():
    assert "<em>x</em>" in render_description("*x*", "text/markdown")
    assert "<em>x</em>" in render_description("*x*", "text/x-rst")
    assert "<em>x</em>" in render_description("*x*", "")  # devpi's default is reST
    assert render_description("*x*", "text/plain") == "*x*"
    assert render_description("", "text/x-rst") == ""
    assert render_description("UNKNOWN") == ""


def test_search_page_ranks_and_links(client, web_dev):
    release(web_dev, "needle", "1.0", summary="exact")
    release(web_dev, "needle-thread", "1.0", summary="prefix")
    release(web_dev, "haystack", "1.0", summary="contains a needle")
    release(web_dev, "other", "1.0", summary="nothing")
    body = text(client.get("/+search?query=needle", **BROWSER))
    found = re.findall(r'<h2><a href="/alice/dev/([^"]+)">', body)
    assert found == ["needle", "needle-thread", "haystack"]
    assert "3 results for “needle”" in body
    assert "Nothing found" in text(client.get("/+search?query=zzz", **BROWSER))


def test_status_page_for_browsers_json_for_clients(client, web_alice, monkeypatch):
    Index.objects.create(
        owner=web_alice,
        name="mirror",
        type=Index.MIRROR,
        config={"mirror_url": "http://127.0.0.1:9/simple/", "mirror_cache_expiry": 600},
    )
    assert client.get("/+status", **JSON).json()["result"]["versioninfo"]["devpi-server"]
    body = text(client.get("/+status", **BROWSER))
    assert "alice/mirror" in body and "http://127.0.0.1:9/simple/" in body
    assert "600 seconds" in body
    from indexes import selectors

    monkeypatch.setattr(
        selectors,
        "mirror_statuses",
        lambda reader=None, **kw: {
            "alice/mirror": {
                "upstream": "http://127.0.0.1:9/simple/",
                "last_contact": "2030-01-02T03:04:05+00:00",
                "cached_projects": 42,
                "cached_bytes": 3 * 1024 * 1024,
                "last_error": "error 503 getting http://127.0.0.1:9/simple/x/",
            }
        },
    )
    body = text(client.get("/+status", **BROWSER))
    assert "2030-01-02 03:04:05 UTC" in body
    assert "Cached projects</dt><dd>42</dd>" in body
    assert "3.0\xa0MB" in body
    assert "error 503 getting" in body


# -- login, logout, sessions and CSRF -------------------------------------------


def test_login_form_and_session(web_alice):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/+login", **BROWSER)
    assert page.status_code == 200 and 'name="username"' in text(page)
    token = csrf_token(client, "/+login")
    bad = client.post(
        "/+login", {"username": "alice", "password": "wrong", "csrfmiddlewaretoken": token}
    )
    assert bad.status_code == 400 and "wrong password" in text(bad)
    good = client.post(
        "/+login",
        {
            "username": "alice",
            "password": "alice-pw",
            "csrfmiddlewaretoken": token,
            "next": "/alice/",
        },
    )
    assert good.status_code == 302 and good["Location"] == "/alice/"
    assert "Log out" in text(client.get("/", **BROWSER))
    # an off-site next is not followed
    token = csrf_token(client, "/+login?next=/")
    away = client.post(
        "/+login",
        {
            "username": "alice",
            "password": "alice-pw",
            "csrfmiddlewaretoken": token,
            "next": "https://evil.test/",
        },
    )
    assert away["Location"] == "/alice"
    token = csrf_token(client, "/+logout")
    assert client.post("/+logout", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "Log in" in text(client.get("/", **BROWSER))


def test_login_form_post_without_csrf_token_is_refused(web_alice):
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/+login", {"username": "alice", "password": "alice-pw"})
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session


def test_devpi_json_login_is_unchanged_and_needs_no_csrf(web_alice):
    client = Client(enforce_csrf_checks=True)
    r = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": "alice-pw"}),
        content_type="application/json",
        **JSON,
    )
    assert r.status_code == 200 and r.json()["type"] == "proxyauth"
    # curl -d '{...}' sends JSON as a form: still devpi's login
    r = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": "alice-pw"}),
        content_type="application/x-www-form-urlencoded",
        **JSON,
    )
    assert r.status_code == 200 and r.json()["result"]["password"]
    r = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": "nope"}),
        content_type="application/json",
        **JSON,
    )
    assert r.status_code == 401
    assert Client().get("/+login", **JSON).status_code == 405


def test_json_api_ignores_the_browser_session(web_alice, web_dev):
    client = logged_in(web_alice, "alice-pw")
    r = client.patch(
        "/alice/dev", json.dumps({"title": "via session"}), content_type="application/json", **JSON
    )
    assert r.status_code == 403
    assert client.get("/+api", **JSON).json()["result"]["authstatus"][0] == "noauth"
    web_dev.refresh_from_db()
    assert "title" not in web_dev.config


def test_logout_needs_csrf(web_alice):
    client = logged_in(web_alice, "alice-pw", csrf=True)
    assert client.post("/+logout").status_code == 403
    assert "_auth_user_id" in client.session


# -- index forms ------------------------------------------------------------------


def test_owner_edits_index_through_the_api_validation(web_alice, web_bob, web_dev):
    client = logged_in(web_alice, "alice-pw", csrf=True)
    page = client.get("/alice/dev", **BROWSER)
    assert 'href="/alice/dev/+edit"' in text(page)
    form = text(client.get("/alice/dev/+edit", **BROWSER))
    assert 'name="acl_upload" value="alice"' in form and 'name="mirror_url"' not in form
    token = csrf_token(client, "/alice/dev/+edit")
    r = client.post(
        "/alice/dev/+edit",
        {
            "csrfmiddlewaretoken": token,
            "title": "Dev <b>index</b>",
            "description": "",
            "bases": "",
            "volatile": "on",
            "acl_upload": "alice, bob, :authenticated:",
            "acl_toxresult_upload": ":ANONYMOUS:",
            "mirror_whitelist": "Foo_Bar, *",
            "mirror_whitelist_inheritance": "union",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/alice/dev"
    web_dev.refresh_from_db()
    # normalised by config
    assert web_dev.config["acl_upload"] == ["alice", "bob", ":AUTHENTICATED:"]
    assert web_dev.config["bases"] == [] and web_dev.config["mirror_whitelist"] == ["foo-bar", "*"]
    assert web_dev.config["title"] == "Dev <b>index</b>" and web_dev.config["volatile"] is True
    assert web_dev.config["mirror_whitelist_inheritance"] == "union"
    assert "Dev &lt;b&gt;index&lt;/b&gt;" in text(client.get("/alice/dev", **BROWSER))


def test_invalid_edit_shows_the_api_message_and_changes_nothing(web_alice, web_dev):
    client = logged_in(web_alice, "alice-pw")
    before = dict(web_dev.config)
    r = client.post(
        "/alice/dev/+edit",
        {
            "bases": "alice/nonexistent",
            "acl_upload": "alice",
            "mirror_whitelist_inheritance": "intersection",
        },
    )
    assert r.status_code == 400
    assert "base index &#x27;alice/nonexistent&#x27; does not exist" in text(r)
    basic = "Basic " + base64.b64encode(b"alice:alice-pw").decode()
    api = Client().patch(
        "/alice/dev",
        json.dumps({"bases": "alice/nonexistent"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic,
        **JSON,
    )
    assert api.status_code == 400
    assert api.json()["message"] == "base index 'alice/nonexistent' does not exist"
    r = client.post("/alice/dev/+edit", {"bases": "alice/dev", "volatile": "on"})
    assert "cannot be its own base" in text(r)
    web_dev.refresh_from_db()
    assert web_dev.config == before


def test_non_owner_sees_no_edit_controls_and_gets_403(web_alice, web_bob, web_dev):
    client = logged_in(web_bob, "bob-pw")
    page = text(client.get("/alice/dev", **BROWSER))
    assert "+edit" not in page and "+delete" not in page
    assert client.get("/alice/dev/+edit", **BROWSER).status_code == 403
    for url, data in (
        ("/alice/dev/+edit", {"acl_upload": "bob", "volatile": "on"}),
        ("/alice/dev/+delete", {}),
        ("/alice/+create-index", {"name": "x", "type": "stage"}),
    ):
        r = client.post(url, data)
        assert r.status_code == 403, url
        assert "You may not" in text(r)
    anonymous = Client()
    assert anonymous.post("/alice/dev/+edit", {"acl_upload": ":ANONYMOUS:"}).status_code == 403
    assert anonymous.get("/alice/dev/+edit", **BROWSER)["Location"].startswith("/+login?next=")
    web_dev.refresh_from_db()
    assert web_dev.config["acl_upload"] == ["alice"]
    assert Index.objects.filter(owner=web_alice).count() == 2


def test_index_form_post_without_csrf_token_is_refused(web_alice, web_dev):
    client = logged_in(web_alice, "alice-pw", csrf=True)
    r = client.post("/alice/dev/+edit", {"acl_upload": ":ANONYMOUS:", "volatile": "on"})
    assert r.status_code == 403 and "CSRF" in text(r)
    web_dev.refresh_from_db()
    assert web_dev.config["acl_upload"] == ["alice"]


def test_create_and_delete_index(web_alice, web_dev):
    client = logged_in(web_alice, "alice-pw")
    form = text(client.get("/alice/+create-index", **BROWSER))
    assert 'name="acl_upload" value="alice"' in form
    r = client.post(
        "/alice/+create-index",
        {
            "name": "staging",
            "type": "stage",
            "bases": "alice/dev",
            "volatile": "on",
            "acl_upload": "alice",
            "acl_toxresult_upload": ":ANONYMOUS:",
            "mirror_whitelist_inheritance": "intersection",
            "title": "Staging",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/alice/staging"
    staging = Index.objects.get(owner=web_alice, name="staging")
    assert staging.config["bases"] == ["alice/dev"] and staging.config["title"] == "Staging"
    # the same refusals as the API
    r = client.post("/alice/+create-index", {"name": "staging", "type": "stage"})
    assert r.status_code == 400 and "exists" in text(r)
    r = client.post("/alice/+create-index", {"name": "bad name", "type": "stage"})
    assert r.status_code == 400 and "not allowed" in text(r)
    r = client.post(
        "/alice/+create-index", {"name": "m", "type": "stage", "mirror_url": "http://127.0.0.1:9/"}
    )
    assert r.status_code == 400 and "unexpected keyword arguments: mirror_url" in text(r)
    r = client.post(
        "/alice/+create-index",
        {
            "name": "up",
            "type": "mirror",
            "mirror_url": "http://127.0.0.1:9/simple/",
            "acl_upload": "alice",
            "mirror_whitelist_inheritance": "intersection",
        },
    )
    assert r.status_code == 302
    assert Index.objects.get(owner=web_alice, name="up").config["mirror_url"] == (
        "http://127.0.0.1:9/simple/"
    )
    # delete: a confirmation page, then gone
    assert "Delete alice/staging?" in text(client.get("/alice/staging/+delete", **BROWSER))
    r = client.post("/alice/staging/+delete")
    assert r.status_code == 302 and r["Location"] == "/alice"
    assert not Index.objects.filter(owner=web_alice, name="staging").exists()


def test_non_volatile_index_is_not_deleted(web_alice, web_dev):
    index_services.index_modify(index=web_dev, data={"volatile": False})
    client = logged_in(web_alice, "alice-pw")
    assert "not volatile" in text(client.get("/alice/dev/+delete", **BROWSER))
    r = client.post("/alice/dev/+delete")
    assert r.status_code == 400 and "non-volatile" in text(r)
    assert Index.objects.filter(pk=web_dev.pk).exists()


# -- account settings ---------------------------------------------------------------


def test_user_changes_email_and_password(web_alice, web_bob):
    client = logged_in(web_alice, "alice-pw")
    assert 'value="alice@example.com"' in text(client.get("/alice/+settings", **BROWSER))
    r = client.post(
        "/alice/+settings",
        {
            "email": "new@example.com",
            "current_password": "nope",
            "new_password": "n3w",
            "new_password_again": "n3w",
        },
    )
    assert r.status_code == 400 and "not your current password" in text(r)
    r = client.post(
        "/alice/+settings",
        {"email": "new@example.com", "new_password": "n3w", "new_password_again": "other"},
    )
    assert r.status_code == 400 and "differ" in text(r)
    r = client.post(
        "/alice/+settings",
        {
            "email": "new@example.com",
            "current_password": "alice-pw",
            "new_password": "n3w",
            "new_password_again": "n3w",
        },
    )
    assert r.status_code == 302
    web_alice.refresh_from_db()
    assert web_alice.email == "new@example.com" and web_alice.check_password("n3w")
    assert "Settings saved." in text(client.get("/alice/+settings", **BROWSER))  # still logged in
    login = Client().post(
        "/+login",
        json.dumps({"user": "alice", "password": "n3w"}),
        content_type="application/json",
        **JSON,
    )
    assert login.status_code == 200
    other = logged_in(web_bob, "bob-pw")
    assert other.get("/alice/+settings", **BROWSER).status_code == 403
    assert other.post("/alice/+settings", {"email": "x@example.com"}).status_code == 403
    web_alice.refresh_from_db()
    assert web_alice.email == "new@example.com"


# -- static files and admin -------------------------------------------------------------


def test_static_files_are_served_by_the_application(client):
    page = text(client.get("/", **BROWSER))
    assert '<link rel="stylesheet" href="/+static/devpi/style.css">' in page
    css = client.get("/+static/devpi/style.css")
    assert css.status_code == 200 and "text/css" in css["Content-Type"]
    assert b".site-header" in b"".join(css.streaming_content if css.streaming else [css.content])
    assert "http" not in re.sub(r"https?://www\.w3\.org", "", page.split("<main")[0])


def test_admin_for_superusers_lists_every_model(web_alice, web_dev):
    root = user_services.user_create(username="root", data={"password": "root-pw"}, superuser=True)
    release(web_dev, "pkg", "1.0", files=["pkg-1.0.tar.gz"])
    client = logged_in(root, "root-pw")
    index = text(client.get("/+admin/"))
    from django.contrib import admin

    registered = {m._meta.label for m in admin.site._registry}
    assert {
        "indexes.Index",
        "indexes.Project",
        "indexes.Release",
        "indexes.ReleaseFile",
        "indexes.UserProfile",
        "indexes.ServerState",
        "mirror.MirrorProject",
        "mirror.MirrorFile",
        "mirror.MirrorState",
    } <= registered
    from django.apps import apps

    for app in ("indexes", "mirror", "toxresults"):
        for model in apps.get_app_config(app).get_models():
            assert model._meta.label in registered, model
            url = f"/+admin/{model._meta.app_label}/{model._meta.model_name}/"
            assert url in index
            r = client.get(url + "?q=pkg")
            assert r.status_code == 200, url
    changelist = text(client.get("/+admin/indexes/index/"))
    assert "alice/dev" in changelist
    # normal users do not get in
    assert logged_in(web_alice, "alice-pw").get("/+admin/").status_code == 302


def test_admin_deletes_an_index_through_the_service(web_alice, web_dev):
    from django.contrib import admin as django_admin

    from indexes.admin import IndexAdmin
    from indexes.models import ServerState

    serial = ServerState.objects.get(pk=1).serial
    IndexAdmin(Index, django_admin.site).delete_model(None, web_dev)
    assert not Index.objects.filter(pk=web_dev.pk).exists()
    assert ServerState.objects.get(pk=1).serial == serial + 1
    assert get_user_model().objects.filter(username="alice").exists()
