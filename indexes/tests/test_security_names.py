"""Look-alike and invisible characters in user and index names; JSON depth;
credentials in mirror URLs; groups in ACLs (through the API, in process)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from indexes.distribution.jsondepth import MAX_DEPTH, TooDeep, loads, nesting_depth
from indexes.distribution.names import is_valid_user_or_index_name, name_skeleton
from indexes.distribution.redact import redact_text
from indexes.models import Index

from .conftest import JSON, api


@pytest.mark.parametrize(
    "name",
    [
        "a\u202eb",  # right-to-left override
        "a\u200bb",  # zero-width space
        "a\u200db",  # zero-width joiner
        "a\ufeffb",  # byte order mark
        "a\u00a0b",  # no-break space
        "a\u2028b",  # line separator
        "a\u3000b",  # ideographic space
        "a\x85b",  # next line (a C1 control)
        "a\ue000b",  # private use
    ],
)
def test_invisible_characters_are_refused(name):
    assert not is_valid_user_or_index_name(name)


@pytest.mark.parametrize("name", ["alice", "dev-1.0_x", "ünïcode", "日本"])
def test_visible_names_are_accepted(name):
    assert is_valid_user_or_index_name(name)


def test_skeletons():
    root = name_skeleton("root")
    assert name_skeleton("r\u043e\u043et") == root  # Cyrillic o's
    assert name_skeleton("ROOT") == root
    assert name_skeleton("\uff52\uff4f\uff4f\uff54") == root  # fullwidth
    assert name_skeleton("rout") != root


def test_look_alike_user_names_are_refused(root):
    client = Client()
    for name in ("r\u043e\u043et", "Root", "\uff52oot"):
        r = client.put(
            f"/{name}", json.dumps({"password": "x"}), content_type=JSON, HTTP_ACCEPT=JSON
        )
        assert r.status_code == 409, (name, r.content)
        assert "looks like the existing user 'root'" in r.json()["message"]
    r = client.put("/a\u202eb", json.dumps({"password": "x"}), content_type=JSON, HTTP_ACCEPT=JSON)
    assert r.status_code == 400
    from django.contrib.auth import get_user_model

    assert list(get_user_model().objects.values_list("username", flat=True)) == ["root"]


def test_invisible_index_names_are_refused(alice):
    r = Client().put("/alice/de\u200bv", "{}", content_type=JSON, **api("alice"))
    assert r.status_code == 400
    assert not Index.objects.exists()


# -- JSON depth -------------------------------------------------------------------


def test_json_depth():
    assert nesting_depth(json.loads('{"a": [[1, {"b": []}], {}]}')) == 5
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for depth in (MAX_DEPTH + 1, 5000, 200_000):
        with pytest.raises(TooDeep):
            loads("[" * depth + "]" * depth)
    with pytest.raises(TooDeep):
        loads('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1))


@pytest.mark.parametrize("path", ["/alice/dev", "/bob"])
def test_deep_json_bodies_answer_400(alice, path):
    body = "[" * 100_000 + "]" * 100_000
    r = Client().put(path, body, content_type=JSON, **api("alice"))
    assert r.status_code == 400
    assert "nested too deep" in r.json()["message"]
    assert not Index.objects.exists()


# -- credentials in mirror URLs -----------------------------------------------------


def test_redact_text():
    assert redact_text("https://bob:pw@host/simple/") == "https://bob:****@host/simple/"
    assert (
        redact_text("error 502 getting http://tok@h:8080/x/")
        == "error 502 getting http://****@h:8080/x/"
    )
    assert redact_text("https://u:p@ss@host/x@y") == "https://u:****@host/x@y"
    assert redact_text("http://host/a@b") == "http://host/a@b"


def test_mirror_credentials_shown_to_owner_and_root_only(root, alice, bob):
    client = Client()
    r = client.put(
        "/alice/up",
        json.dumps({"type": "mirror", "mirror_url": "http://alice:s3cret@127.0.0.1:9/simple/"}),
        content_type=JSON,
        **api("alice"),
    )
    assert r.status_code == 200
    assert r.json()["result"]["mirror_url"] == "http://alice:s3cret@127.0.0.1:9/simple/"
    for who in (None, "bob"):
        headers = api(who) if who else {"HTTP_ACCEPT": JSON}
        for path in ("/alice/up", "/alice", "/"):
            text = client.get(path, **headers).content.decode()
            assert "s3cret" not in text and "alice:****@127.0.0.1" in text, (who, path)
        assert "s3cret" not in client.get("/+status", **headers).content.decode()
        assert "s3cret" not in client.get("/alice/up", HTTP_ACCEPT="text/html").content.decode()
        assert "s3cret" not in client.get("/+status", HTTP_ACCEPT="text/html").content.decode()
    for who, password in (("alice", "pw"), ("root", "rootpw")):
        r = client.get("/alice/up", **api(who, password))
        assert r.json()["result"]["mirror_url"] == "http://alice:s3cret@127.0.0.1:9/simple/"
