"""Read ACLs (issue 12 A): ``acl_read`` validation through every editor, the
one read check (``permissions.may_read``) with its inheritance rule, and the
refusals of every read path in process."""

import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indexes import permissions as p
from indexes.config import ANONYMOUS, AUTHENTICATED, build_config
from indexes.errors import Invalid
from indexes.models import Index, ReleaseFile
from indexes.resolution import resolution_order
from tests.factories import make_wheel

from .conftest import (
    JSON,
    PIP_ACCEPT,
    SIMPLE_JSON,
    api,
    assert_error,
    basic,
    create_user,
    mirror_cache_project,
    mirror_index,
    mirror_link,
    stage,
    upload,
)
from .conftest import devpi_stdout as devpi

pytestmark = pytest.mark.usefixtures("unrestricted")


@pytest.fixture
def carol(db):
    user = create_user("carol")
    user.groups.add(Group.objects.create(name="team"))
    return user


@pytest.fixture
def private(alice, blob_dir):
    return stage(alice, "private", acl_read="alice,:team:")


def put_wheel(
    client, tmp_path, index="alice/private", name="secretpkg", version="1.0", user="alice"
):
    wheel = make_wheel(tmp_path / f"{index.replace('/', '-')}-{version}", name, version)
    response = upload(client, f"/{index}/", wheel, name=name, version=version, headers=basic(user))
    assert response.status_code == 200, response.content
    return ReleaseFile.objects.get(index__name=index.split("/")[1], filename=wheel.name)


# -- the key --------------------------------------------------------------------


def _build(requested, current=None, index_type="stage"):
    return build_config(
        index_type=index_type,
        owner="alice",
        fullname="alice/x",
        current=current,
        requested=requested,
        get_bases=lambda name: [],
    )


@pytest.mark.parametrize(
    "value, stored",
    [
        ("alice, :team:", ["alice", ":team:"]),
        ([":anonymous:"], [ANONYMOUS]),
        (":authenticated:,bob,bob", [AUTHENTICATED, "bob"]),
        ("", []),
        ([], []),
    ],
)
def test_acl_read_values(value, stored):
    assert _build({"acl_read": value})["acl_read"] == stored
    assert (
        _build({"acl_read": value, "mirror_url": "http://127.0.0.1:1/"}, index_type="mirror")[
            "acl_read"
        ]
        == stored
    )


@pytest.mark.parametrize(
    "value, message",
    [
        (5, "Unknown list value"),
        ([1, 2], "Unknown list value"),
        ({"a": 1}, "Unknown list value"),
        ("alice, bad name", "'acl_read' entries must be"),
        (":team", "'acl_read' entries must be"),
        ("a/b", "'acl_read' entries must be"),
        (":a b:", "'acl_read' entries must be"),
        (",".join(f"u{i}" for i in range(201)), "at most 200 entries"),
    ],
)
def test_acl_read_bad_values(value, message):
    with pytest.raises(Invalid, match=message):
        _build({"acl_read": value})


def test_absent_acl_read_means_everyone_and_adds_to_it():
    from indexes.config import apply_operations

    assert "acl_read" not in _build({})  # devpi's indexes, byte for byte
    assert apply_operations({}, ["acl_read+=bob"])["acl_read"] == [ANONYMOUS, "bob"]
    assert apply_operations({}, ["acl_read-=:ANONYMOUS:"])["acl_read"] == []


def test_api_edits_and_refuses(client, alice):
    stage(alice, "dev")
    r = client.patch(
        "/alice/dev", json.dumps({"acl_read": "alice"}), content_type=JSON, **api("alice")
    )
    assert r.status_code == 200, r.content
    assert json.loads(r.content)["result"]["acl_read"] == ["alice"]
    before = Index.objects.get(name="dev")
    for bad in ({"acl_read": "no good"}, {"acl_read": 7}, {"acl_read": ["x", {"y": 1}]}):
        r = client.patch("/alice/dev", json.dumps(bad), content_type=JSON, **api("alice"))
        assert r.status_code == 400, r.content
        assert "acl_read" in json.loads(r.content)["message"] or "list value" in r.content.decode()
    r = client.patch("/alice/dev", json.dumps(["acl_read=a b"]), content_type=JSON, **api("alice"))
    assert_error(r, 400, "'acl_read' entries must be")
    after = Index.objects.get(name="dev")
    assert (after.config, after.generation) == (before.config, before.generation)
    # PUT with a bad value creates nothing
    r = client.put(
        "/alice/other", json.dumps({"acl_read": ":bad"}), content_type=JSON, **api("alice")
    )
    assert_error(r, 400, "'acl_read' entries must be")
    assert not Index.objects.filter(name="other").exists()


# -- the one check ----------------------------------------------------------------


def test_may_read_table(root, alice, bob, carol, blob_dir):
    public = stage(alice, "public")
    private = stage(alice, "private", acl_read="bob,:team:")
    logged_in = stage(bob, "members", acl_read=":AUTHENTICATED:")
    child = stage(bob, "child", bases="alice/private")  # public itself
    owner_only = stage(alice, "mine", acl_read="")
    cases = [
        (public, {None: True, "alice": True, "bob": True, "carol": True, "root": True}),
        (private, {None: False, "alice": True, "bob": True, "carol": True, "root": True}),
        (logged_in, {None: False, "alice": True, "bob": True, "carol": True, "root": True}),
        # the intersection along the order: the private base decides
        (child, {None: False, "alice": True, "bob": True, "carol": True, "root": True}),
        (owner_only, {None: False, "alice": True, "bob": False, "carol": False, "root": True}),
    ]
    users = {None: None, "alice": alice, "bob": bob, "carol": carol, "root": root}
    for index, expected in cases:
        got = {name: p.may_read(users[name], index) for name in expected}
        assert got == expected, index.fullname
    # a child of an owner-only base: its own owner cannot read it either
    grandchild = stage(bob, "grand", bases="alice/mine")
    assert not p.may_read(bob, grandchild)
    assert p.may_read(alice, grandchild) and p.may_read(root, grandchild)


def test_public_order_needs_no_query(alice, blob_dir):
    base = stage(alice, "base")
    child = stage(alice, "child", bases="alice/base")
    order = resolution_order(child)
    with CaptureQueriesContext(connection) as queries:
        assert p.may_read(None, child, order)
        assert p.may_read(alice, base, [base])
        assert p.is_public(order)
    assert len(queries) == 0


def test_readable_indexes_resolve_in_memory(alice, bob, blob_dir):
    stage(alice, "private", acl_read="alice")
    stage(bob, "child", bases="alice/private")
    stage(bob, "open")
    everything = list(Index.objects.select_related("owner"))
    with CaptureQueriesContext(connection) as queries:
        names = {ix.fullname for ix in p.readable_indexes(None, everything)}
    assert names == {"bob/open"}
    assert len(queries) == 0
    assert {ix.fullname for ix in p.readable_indexes(alice, everything)} == {
        "alice/private",
        "bob/child",
        "bob/open",
    }


# -- the read paths ------------------------------------------------------------------


def _refused(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    if status == 401:
        assert response["WWW-Authenticate"] == 'Basic realm="devpi"'
    assert b"secretpkg" not in response.content


def test_simple_pages_refuse_and_serve(client, private, bob, carol, tmp_path):
    file = put_wheel(client, tmp_path)
    urls = ["/alice/private/+simple/", "/alice/private/+simple/secretpkg/"]
    for url in urls:
        _refused(client.get(url), 401)
        _refused(client.get(url, HTTP_ACCEPT=PIP_ACCEPT), 401)
        _refused(client.get(url, **basic("bob")), 403)
        _refused(client.get(url, **basic("bob", "wrong")), 401)  # bad credentials: anonymous
        for user in ("alice", "carol"):
            response = client.get(url, **basic(user))
            assert response.status_code == 200 and b"secretpkg" in response.content
            assert "private" in response["Cache-Control"]
    # the installer pages at the plain index URL
    pip = {"HTTP_USER_AGENT": "pip/26.0", "HTTP_ACCEPT": PIP_ACCEPT}
    _refused(client.get("/alice/private/", **pip), 401)
    _refused(client.get("/alice/private/secretpkg/", **pip), 401)
    ok = client.get("/alice/private/secretpkg/", **pip, **basic("carol"))
    assert ok.status_code == 200 and file.sha256.encode() in ok.content
    # an unnormalised name is refused before the redirect says it exists
    _refused(client.get("/alice/private/+simple/SecretPkg/"), 401)
    _refused(client.post("/alice/private/+simple/secretpkg/refresh"), 401)


def test_files_metadata_and_json(client, private, bob, tmp_path):
    file = put_wheel(client, tmp_path)
    f = f"/alice/private/+f/{file.hash_path}"
    for url in (f, f + ".metadata"):
        _refused(client.get(url), 401)
        _refused(client.head(url), 401)
        _refused(client.get(url, **basic("bob")), 403)
        assert client.get(url, **basic("alice")).status_code == 200
    _refused(client.get(f, HTTP_ACCEPT=JSON), 401)
    _refused(client.post(f, b"{}", content_type=JSON), 401)  # a tox report
    assert client.delete(f).status_code == 403  # devpi: 403 (its message echoes the path sent)
    for url in (
        "/alice/private",
        "/alice/private/secretpkg",
        "/alice/private/secretpkg/1.0",
        "/alice/private/SecretPkg",
    ):
        _refused(client.get(url, HTTP_ACCEPT=JSON), 401)
        _refused(client.get(url, **api("bob")), 403)
        _refused(client.get(url), 401)  # the web UI's pages
        assert client.get(url, **api("alice")).status_code in (200, 302)
    # pushing copies what the pusher reads
    stage(bob, "dst", acl_upload="bob")
    r = client.post(
        "/alice/private",
        json.dumps({"name": "secretpkg", "version": "1.0", "targetindex": "bob/dst"}),
        content_type=JSON,
        **api("bob"),
    )
    _refused(r, 403)


def test_public_child_of_a_private_base(client, private, bob, tmp_path):
    put_wheel(client, tmp_path)
    stage(bob, "child", bases="alice/private")
    put_wheel(client, tmp_path, index="bob/child", name="bobpkg", user="bob")
    for url in (
        "/bob/child/+simple/",
        "/bob/child/+simple/secretpkg/",
        "/bob/child/+simple/bobpkg/",
    ):
        _refused(client.get(url), 401)
        # bob owns the child but does not read the base
        _refused(client.get(url, **basic("bob")), 403)
        assert client.get(url, **basic("alice")).status_code == 200


def test_acl_change_invalidates_cached_pages(client, alice, bob, tmp_path, blob_dir):
    stage(alice, "dev")
    stage(bob, "child", bases="alice/dev")
    put_wheel(client, tmp_path, index="alice/dev")
    for url in ("/alice/dev/+simple/secretpkg/", "/bob/child/+simple/secretpkg/"):
        assert client.get(url).status_code == 200  # cached now
    r = client.patch(
        "/alice/dev", json.dumps(["acl_read=alice"]), content_type=JSON, **api("alice")
    )
    assert r.status_code == 200, r.content
    for url in ("/alice/dev/+simple/secretpkg/", "/bob/child/+simple/secretpkg/"):
        _refused(client.get(url), 401)
    r = client.patch(
        "/alice/dev", json.dumps(["acl_read=:ANONYMOUS:"]), content_type=JSON, **api("alice")
    )
    assert client.get("/bob/child/+simple/secretpkg/").status_code == 200


def test_cached_public_page_costs_no_extra_query(client, alice, tmp_path, blob_dir):
    stage(alice, "dev")
    put_wheel(client, tmp_path, index="alice/dev")
    url = "/alice/dev/+simple/secretpkg/"
    assert client.get(url, HTTP_ACCEPT=PIP_ACCEPT).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_ACCEPT=PIP_ACCEPT)
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")
    assert len(queries) == 1, [q["sql"] for q in queries]  # the serial, nothing more


def test_listings_search_and_status(client, root, private, bob, tmp_path, settings):
    put_wheel(client, tmp_path)
    stage(bob, "child", bases="alice/private")
    mirror_index(private.owner, "secretmirror", acl_read="alice")
    # the root and user listings leave out what the reader cannot read
    anonymous = json.loads(client.get("/", HTTP_ACCEPT=JSON).content)["result"]
    assert "private" not in anonymous["alice"]["indexes"]
    assert "child" not in anonymous["bob"]["indexes"]
    assert "secretmirror" not in anonymous["alice"]["indexes"]
    owner = json.loads(client.get("/", **api("alice")).content)["result"]
    assert {"private", "secretmirror"} <= set(owner["alice"]["indexes"])
    assert "child" in owner["bob"]["indexes"]
    user = json.loads(client.get("/alice", HTTP_ACCEPT=JSON).content)["result"]
    assert "private" not in user["indexes"]
    assert (
        "private" in json.loads(client.get("/alice", **api("alice")).content)["result"]["indexes"]
    )
    assert b"alice/private" not in client.get("/").content
    assert b"alice/private" not in client.get("/alice").content
    # search
    # (the page echoes the query: look for the hit's index and version link)
    assert b"alice/private" not in client.get("/+search?query=secretpkg").content
    assert b"alice/private" not in client.get("/+search?query=secretpkg", **basic("bob")).content
    client.force_login(private.owner)
    assert b"alice/private" in client.get("/+search?query=secretpkg").content
    client.logout()
    # /+status: a private mirror's figures only for its readers
    status = json.loads(client.get("/+status", HTTP_ACCEPT=JSON).content)["result"]
    assert "alice/secretmirror" not in status["mirrors"]
    status = json.loads(client.get("/+status", **api("alice")).content)["result"]
    assert "alice/secretmirror" in status["mirrors"]
    assert b"secretmirror" not in client.get("/+status").content


def test_mirror_with_acl_read(client, root, alice, blob_dir):
    mirror = mirror_index(root, "pypi", acl_read="root,alice")
    mirror_cache_project(mirror, "upstreampkg", [mirror_link("upstreampkg-1.0.tar.gz", "1.0")])
    stage(alice, "dev", bases="root/pypi")
    for url in ("/root/pypi/+simple/upstreampkg/", "/alice/dev/+simple/upstreampkg/"):
        _refused(client.get(url, HTTP_ACCEPT=SIMPLE_JSON), 401)
        response = client.get(url, HTTP_ACCEPT=SIMPLE_JSON, **basic("alice"))
        assert response.status_code == 200 and b"upstreampkg-1.0" in response.content


def test_browser_session_reads_private_pages(client, private, bob, tmp_path):
    put_wheel(client, tmp_path)
    _refused(client.get("/alice/private"), 401)
    client.force_login(private.owner)
    page = client.get("/alice/private")
    assert page.status_code == 200 and b"secretpkg" in page.content
    assert b"Read allowed for" in page.content and b":team:" in page.content
    assert client.get("/alice/private/secretpkg/1.0").status_code == 200
    # the session is for reading only: a write with only a session stays anonymous
    r = client.patch("/alice/private", json.dumps({"title": "x"}), content_type=JSON)
    assert r.status_code == 403  # anonymous, refused as devpi refuses it
    client.force_login(bob)
    _refused(client.get("/alice/private"), 403)


def test_web_form_edits_acl_read(client, alice, blob_dir):
    stage(alice, "dev")
    client.force_login(alice)
    form = client.get("/alice/dev/+edit")
    assert b'name="acl_read"' in form.content and b":ANONYMOUS:" in form.content
    data = {
        "title": "",
        "description": "",
        "bases": "",
        "volatile": "on",
        "acl_read": "alice, :team:",
        "acl_upload": "alice",
        "acl_toxresult_upload": ":ANONYMOUS:",
        "mirror_whitelist": "",
        "mirror_whitelist_inheritance": "intersection",
    }
    r = client.post("/alice/dev/+edit", data)
    assert r.status_code == 302, r.content
    assert Index.objects.get(name="dev").config["acl_read"] == ["alice", ":team:"]
    r = client.post("/alice/dev/+edit", {**data, "acl_read": "no good"})
    assert r.status_code == 400 and b"acl_read" in r.content
    assert Index.objects.get(name="dev").config["acl_read"] == ["alice", ":team:"]


def test_command_reads_as_the_acting_user(client, root, private, bob, tmp_path):
    from django.core.management.base import CommandError

    put_wheel(client, tmp_path)

    assert devpi("--as", "alice", "list", "--index", "alice/private") == "secretpkg\n"
    with pytest.raises(CommandError, match="user 'bob' may not read alice/private"):
        devpi("--as", "bob", "list", "--index", "alice/private")
    with pytest.raises(CommandError, match="may not read alice/private"):
        devpi("--as", "bob", "getjson", "/alice/private/secretpkg")
    assert (
        "private" not in json.loads(devpi("--as", "bob", "getjson", "/alice"))["result"]["indexes"]
    )
    assert "private" in json.loads(devpi("getjson", "/alice"))["result"]["indexes"]  # root
    # index: edited with validation, nothing changed on a bad value
    devpi("--as", "alice", "index", "alice/private", "acl_read+=bob")
    assert Index.objects.get(name="private").config["acl_read"] == ["alice", ":team:", "bob"]
    with pytest.raises(CommandError, match="'acl_read' entries must be"):
        devpi("--as", "alice", "index", "alice/private", "acl_read=:nope")
    assert Index.objects.get(name="private").config["acl_read"] == ["alice", ":team:", "bob"]
    assert "secretpkg" in devpi("--as", "bob", "list", "--index", "alice/private")


def test_huge_acl_is_refused_fast(client, alice):
    import time

    stage(alice, "dev")
    for value in ([f"u{i}" for i in range(200_000)], ",".join("u" for _ in range(200_000))):
        started = time.monotonic()
        r = client.patch(
            "/alice/dev", json.dumps({"acl_read": value}), content_type=JSON, **api("alice")
        )
        assert_error(r, 400, "at most 200 entries")
        assert time.monotonic() - started < 2
    assert "acl_read" not in Index.objects.get(name="dev").config
