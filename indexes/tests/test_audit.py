"""The audit trail: every action recorded with its who, via, address and
target, from the API, the web UI and ``manage.py devpi``; secrets never in a
detail; reading it (root, index owner), filters and paging; nothing written
on reads; retention."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from indexes.audit import ACTIONS, audit_prune, audit_record, config_changes, mask_secrets
from indexes.models import AuditEvent, ReleaseFile
from tests.factories import make_wheel

from .conftest import JSON, api, assert_error, basic, json_body, stage, upload

pytestmark = pytest.mark.usefixtures("open_server")


def send(client, method, url, data=None, user=None, password="pw"):
    body = "" if data is None else json.dumps(data)
    headers = api(user, password) if user else {"HTTP_ACCEPT": JSON}
    return client.generic(method, url, body, content_type=JSON, **headers)


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


def only(action, **filters):
    found = events(action=action, **filters)
    assert len(found) == 1, [(e.action, e.actor, e.target) for e in AuditEvent.objects.all()]
    return found[0]


def doczip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("index.html", "<h1>docs</h1>")
    return out.getvalue()


def test_every_action_through_the_api_is_recorded(client, db, blob_dir, tmp_path):
    assert send(client, "PUT", "/alice", {"password": "pw", "email": "a@x"}).status_code == 201
    e = only("user.create")
    assert (e.actor, e.via, e.target, e.address) == (":ANONYMOUS:", "", "alice", "127.0.0.1")
    assert "pw" not in json.dumps(e.detail)
    assert (
        send(
            client, "PATCH", "/alice", {"email": "b@x", "password": "new"}, user="alice"
        ).status_code
        == 200
    )
    e = only("user.modify")
    assert (e.actor, e.via) == ("alice", "password")
    assert e.detail == {"old": {"email": "a@x"}, "new": {"email": "b@x"}, "password": "****"}
    assert "new" not in json.dumps(e.detail["new"])
    pw = "new"
    assert (
        send(client, "PUT", "/alice/dev", {"bases": []}, user="alice", password=pw).status_code
        == 200
    )
    assert only("index.create").target == "alice/dev"
    assert (
        send(
            client, "PATCH", "/alice/dev", ["acl_upload+=bob"], user="alice", password=pw
        ).status_code
        == 200
    )
    e = only("index.modify")
    assert e.detail == {"old": {"acl_upload": ["alice"]}, "new": {"acl_upload": ["alice", "bob"]}}
    assert (
        send(
            client, "PUT", "/alice/prod", {"volatile": True}, user="alice", password=pw
        ).status_code
        == 200
    )
    wheel = make_wheel(tmp_path, "auditpkg", "1.0")
    response = upload(
        client, "/alice/dev/", wheel, name="auditpkg", version="1.0", headers=basic("alice", pw)
    )
    assert response.status_code == 200
    file = ReleaseFile.objects.get()
    e = only("file.upload")
    assert (e.actor, e.index, e.target) == ("alice", "alice/dev", f"alice/dev/+f/{file.hash_path}")
    assert e.detail["sha256"] == file.sha256
    response = upload(
        client,
        "/alice/dev/",
        None,
        name="auditpkg",
        version="1.0",
        action="doc_upload",
        filename="auditpkg-1.0.doc.zip",
        content=doczip(),
        headers=basic("alice", pw),
    )
    assert response.status_code == 200, response.content
    assert only("doc.upload").index == "alice/dev"
    report = json.dumps(
        {"host": "h", "platform": "p", "testenvs": {"py": {"test": [{"retcode": 0}]}}}
    )
    assert (
        client.post(
            f"/alice/dev/+f/{file.hash_path}", report, content_type=JSON, HTTP_ACCEPT=JSON
        ).status_code
        == 200
    )
    assert only("toxresult.upload").actor == ":ANONYMOUS:"
    response = send(
        client, "PATCH", "/alice/dev/auditpkg/1.0", {"yanked": "broken"}, user="alice", password=pw
    )
    assert response.status_code == 200
    assert only("release.yank").detail == {"yanked": True, "reason": "broken"}
    response = send(
        client,
        "PUSH",
        "/alice/dev",
        {"name": "auditpkg", "version": "1.0", "targetindex": "alice/prod"},
        user="alice",
        password=pw,
    )
    assert response.status_code == 200, response.content
    e = only("release.push")
    assert (e.index, e.target, e.detail["source"]) == (
        "alice/prod",
        "alice/prod/auditpkg/1.0",
        "alice/dev",
    )
    assert (
        send(client, "DELETE", "/alice/prod/auditpkg/1.0", user="alice", password=pw).status_code
        == 200
    )
    assert (
        send(client, "DELETE", "/alice/dev/auditpkg", user="alice", password=pw).status_code == 200
    )
    assert [e.target for e in events(action="release.remove")] == [
        "alice/prod/auditpkg/1.0",
        "alice/dev/auditpkg",
    ]
    token = send(client, "POST", "/alice/+tokens", {"scopes": ["read"]}, user="alice", password=pw)
    token_id = json_body(token)["result"]["id"]
    assert only("token.create").target == f"alice/{token_id}"
    assert (
        send(client, "DELETE", f"/alice/+tokens/{token_id}", user="alice", password=pw).status_code
        == 200
    )
    assert only("token.revoke").target == f"alice/{token_id}"
    bad = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": "wrong"}),
        content_type=JSON,
        HTTP_ACCEPT=JSON,
    )
    assert bad.status_code == 401
    e = only("login.failure")
    assert (e.actor, e.target, e.via) == (":ANONYMOUS:", "alice", "password")
    good = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": pw}),
        content_type=JSON,
        HTTP_ACCEPT=JSON,
    )
    assert good.status_code == 200
    assert only("login.success").actor == "alice"
    assert send(client, "DELETE", "/alice/prod", user="alice", password=pw).status_code == 201
    assert only("index.delete").target == "alice/prod"
    assert send(client, "DELETE", "/alice", user="alice", password=pw).status_code == 200
    assert only("user.delete").target == "alice"
    recorded = set(AuditEvent.objects.values_list("action", flat=True))
    assert recorded == set(ACTIONS) - {"project.status"}
    assert all(e.address == "127.0.0.1" for e in AuditEvent.objects.all())


def test_bad_write_credentials_are_a_login_failure_but_reads_write_nothing(client, dev):
    # wrong credentials are anonymous; devpi refuses anonymous index creation with 403
    assert_error(
        send(client, "PUT", "/alice/x", {}, user="alice", password="wrong"), 403, "no permission"
    )
    e = only("login.failure")
    assert (e.target, e.via, e.detail["method"]) == ("alice", "password", "PUT")
    before = AuditEvent.objects.count()
    for url in (
        "/alice/dev/+simple/",
        "/alice/dev/+simple/pkg/",
        "/alice/dev",
        "/",
        "/alice/dev/+f/abc/def/pkg-1.0.tar.gz",
    ):
        client.get(url, **basic("alice", "wrong"))
        client.get(url, **basic("alice", "pw"))
    assert AuditEvent.objects.count() == before


def test_mirror_credentials_are_masked(client, db, root):
    response = send(
        client,
        "PUT",
        "/root/up",
        {"type": "mirror", "mirror_url": "http://u:s3cret@127.0.0.1:9/simple/"},
        user="root",
        password="rootpw",
    )
    assert response.status_code == 200, response.content
    response = send(
        client,
        "PATCH",
        "/root/up",
        {"mirror_url": "http://u:other-s3cret@127.0.0.1:9/simple/"},
        user="root",
        password="rootpw",
    )
    assert response.status_code == 200
    text = json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert "s3cret" not in text and "u:****@127.0.0.1:9" in text


def test_mask_secrets_and_changes():
    assert mask_secrets(
        {
            "password": "x",
            "api_token": "y",
            "mirror_url": "https://a:b@h/s",
            "nested": [{"secret": "z"}],
            "title": "t",
        }
    ) == {
        "password": "****",
        "api_token": "****",
        "mirror_url": "https://a:****@h/s",
        "nested": [{"secret": "****"}],
        "title": "t",
    }
    assert config_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "old": {"b": 2},
        "new": {"b": 3, "c": 4},
    }
    with pytest.raises(ValueError):
        audit_record("nope")


def test_project_status_record_for_the_status_service(db):
    from indexes.audit import record_project_status

    event = record_project_status(
        index="alice/dev",
        project="pkg",
        old={"status": "active", "reason": ""},
        new={"status": "quarantined", "reason": "malware"},
    )
    assert (event.action, event.target, event.index, event.actor) == (
        "project.status",
        "alice/dev/pkg",
        "alice/dev",
        ":SYSTEM:",
    )
    assert event.detail["new"]["status"] == "quarantined"


def test_events_are_append_only(db):
    event = audit_record("login.failure", target="x")
    event.target = "changed"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_manage_py_devpi_records_via_manage_py(root, blob_dir, tmp_path):
    out = io.StringIO()
    call_command("devpi", "user", "-c", "carol", "password=pw", stdout=out, stderr=out)
    call_command("devpi", "--as", "carol", "index", "-c", "carol/dev", stdout=out, stderr=out)
    call_command(
        "devpi",
        "--as",
        "carol",
        "token",
        "create",
        "--scope",
        "upload",
        "--index",
        "carol/dev",
        "--expires",
        "60",
        stdout=out,
        stderr=out,
    )
    secret = [line for line in out.getvalue().splitlines() if line.startswith("devpi_")]
    assert len(secret) == 1
    assert (only("user.create").actor, only("user.create").via) == ("root", "manage.py")
    assert only("index.create").actor == "carol"
    token_id = only("token.create").target.split("/")[1]
    listing = io.StringIO()
    call_command("devpi", "--as", "carol", "token", "list", stdout=listing)
    assert token_id in listing.getvalue() and secret[0] not in listing.getvalue()
    call_command("devpi", "--as", "carol", "token", "revoke", token_id, stdout=out)
    assert only("token.revoke").via == "manage.py"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="non-empty list"):
        call_command("devpi", "--as", "carol", "token", "create", stdout=out)
    with pytest.raises(CommandError, match="may not create tokens"):
        call_command(
            "devpi",
            "--as",
            "root",
            "token",
            "create",
            "--scope",
            "read",
            "--user",
            "carol",
            stdout=out,
        )


# -- reading ----------------------------------------------------------------------


def test_root_reads_everything_owner_reads_their_index(client, dev, root, bob):
    stage(bob, "b")
    assert_error(client.get("/+audit", HTTP_ACCEPT=JSON), 401, "no permission")
    assert_error(client.get("/+audit", **api("alice")), 403, "no permission")
    data = json_body(client.get("/+audit", **api("root", "rootpw")))
    assert data["type"] == "auditlog"
    ids = [e["id"] for e in data["result"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 2
    mine = json_body(client.get("/alice/dev/+audit", **api("alice")))["result"]
    assert [e["target"] for e in mine] == ["alice/dev"]
    assert set(mine[0]) >= {"when", "user", "via", "address", "action", "target", "detail"}
    assert_error(client.get("/alice/dev/+audit", **api("bob")), 403, "no permission")
    assert_error(client.get("/alice/dev/+audit", HTTP_ACCEPT=JSON), 401, "no permission")
    assert client.get("/bob/b/+audit", **api("root", "rootpw")).status_code == 200
    assert_error(client.get("/alice/nope/+audit", **api("alice")), 404, "")
    assert_error(client.get("/alice/nope/+audit", HTTP_ACCEPT=JSON), 401, "no permission")


def test_a_token_cannot_read_the_audit_trail(client, dev):
    secret = json_body(send(client, "POST", "/alice/+tokens", {"scopes": ["read"]}, user="alice"))[
        "result"
    ]["token"]
    assert_error(client.get("/alice/dev/+audit", **api("alice", secret)), 403, "no permission")


def test_filters_and_paging(client, dev, root):
    for n in range(7):
        audit_record("login.failure", target=f"t{n}", actor="mallory")
    url = "/+audit?action=login.failure&user=mallory&size=3"
    first = client.get(url, **api("root", "rootpw"))
    assert [e["target"] for e in json_body(first)["result"]] == ["t6", "t5", "t4"]
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"]
    third = json_body(client.get(url + "&page=3", **api("root", "rootpw")))["result"]
    assert [e["target"] for e in third] == ["t0"]
    creates = json_body(client.get("/+audit?action=index.create", **api("root", "rootpw")))
    assert [e["action"] for e in creates["result"]] == ["index.create"]
    for query, message in (
        ("action=bogus", "unknown action 'bogus'"),
        ("page=0", "'page' must be between"),
        ("size=100000", "'size' must be between"),
        ("page=x", "'page' must be a whole number"),
    ):
        assert_error(client.get(f"/+audit?{query}", **api("root", "rootpw")), 400, message)


def test_web_pages(dev, root):
    browser = {"HTTP_ACCEPT": "text/html"}
    anonymous = Client().get("/+audit", **browser)
    assert anonymous.status_code == 302 and "/+login" in anonymous["Location"]
    client = Client()
    assert client.login(username="root", password="rootpw")
    page = client.get("/+audit?action=index.create", **browser)
    assert page.status_code == 200 and b"alice/dev" in page.content
    owner = Client()
    assert owner.login(username="alice", password="pw")
    assert owner.get("/alice/dev/+audit", **browser).status_code == 200
    assert b'href="/alice/dev/+audit"' in owner.get("/alice/dev", **browser).content
    assert b'href="/+audit"' in client.get("/", **browser).content
    assert owner.get("/+audit", **browser).status_code == 403


def test_admin_is_read_only(dev, root):
    client = Client()
    assert client.login(username="root", password="rootpw")
    event = AuditEvent.objects.first()
    assert client.get("/+admin/indexes/auditevent/").status_code == 200
    assert client.get(f"/+admin/indexes/auditevent/{event.pk}/change/").status_code == 200
    assert client.get("/+admin/indexes/auditevent/add/").status_code == 403
    assert (
        client.post(f"/+admin/indexes/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_retention(db, settings):
    old = audit_record("login.failure", target="old")
    AuditEvent.objects.filter(pk=old.pk).update(when=timezone.now() - timedelta(days=40))
    audit_record("login.failure", target="new")
    assert audit_prune(None) == 0
    assert AuditEvent.objects.count() == 2
    out = io.StringIO()
    settings.DEVPI = {**settings.DEVPI, "AUDIT_RETENTION_DAYS": 30}
    call_command("devpi_audit_prune", stdout=out)
    assert "deleted 1 audit events" in out.getvalue()
    assert list(AuditEvent.objects.values_list("target", flat=True)) == ["new"]
    from indexes.tasks import audit_prune as task

    assert task.delay().get() == 0
