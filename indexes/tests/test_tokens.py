"""Scoped API tokens through the real URLs: create, list, revoke; their use
as Basic and X-Devpi-Auth credentials; scope, index, expiry and revocation;
bad requests changing nothing."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from indexes import tokens as token_rules
from indexes.models import ApiToken, AuditEvent, ReleaseFile
from indexes.services.tokens import api_token_create, token_request
from tests.factories import make_wheel

from .conftest import JSON, api, assert_error, basic, devpi_auth, json_body, stage, upload

pytestmark = pytest.mark.usefixtures("open_server")


def post_token(client, user, data, **headers):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(
        f"/{user}/+tokens", body, content_type=JSON, **{"HTTP_ACCEPT": JSON, **headers}
    )


def new_token(client, user="alice", password="pw", **data):
    data.setdefault("scopes", ["read", "upload"])
    response = post_token(client, user, data, **basic(user, password))
    assert response.status_code == 201, response.content
    return json_body(response)["result"]


@pytest.fixture
def other(alice):
    return stage(alice, "other", acl_upload=["alice"])


@pytest.fixture
def wheel(tmp_path):
    return make_wheel(tmp_path, "tokpkg", "1.0")


def twine_upload(client, index, wheel, user, secret):
    return upload(
        client, f"/{index}/", wheel, name="tokpkg", version="1.0", headers=basic(user, secret)
    )


# -- create, list, revoke ---------------------------------------------------------


def test_create_returns_secret_once_and_stores_only_its_hash(client, dev):
    result = new_token(client, description="ci", indexes=["alice/dev"], expires=3600)
    secret = result["token"]
    assert secret.startswith("devpi_") and len(secret) > 40
    assert result["scopes"] == ["read", "upload"]
    assert result["indexes"] == ["alice/dev"]
    assert result["state"] == "active" and result["expires"]
    row = ApiToken.objects.get(public_id=result["id"])
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps([row.key_hash, row.description, row.indexes, row.scopes])
    listed = json_body(client.get("/alice/+tokens", **api("alice")))
    assert listed["type"] == "list:apitoken"
    assert [t["id"] for t in listed["result"]] == [result["id"]]
    assert "token" not in listed["result"][0]
    assert secret not in json.dumps(listed)


def test_revoke_and_revoked_token_no_longer_authenticates(client, dev, wheel):
    result = new_token(client)
    response = client.delete(f"/alice/+tokens/{result['id']}", **api("alice"))
    assert response.status_code == 200
    assert json_body(response)["result"]["state"] == "revoked"
    assert_error(
        twine_upload(client, "alice/dev", wheel, "alice", result["token"]), 401, "Unauthorized"
    )  # devpi's bare 401 for an anonymous upload
    assert not ReleaseFile.objects.exists()
    # revoking again changes nothing and still answers
    assert client.delete(f"/alice/+tokens/{result['id']}", **api("alice")).status_code == 200
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


@pytest.mark.parametrize(
    "body, message",
    [
        ({"scopes": []}, "non-empty list"),
        ({}, "non-empty list"),
        ({"scopes": "read"}, "non-empty list"),
        ({"scopes": ["read", "admin"]}, "unknown scope 'admin'"),
        ({"scopes": ["read"], "expires": -5}, "'expires' must be between"),
        ({"scopes": ["read"], "expires": 0}, "'expires' must be between"),
        ({"scopes": ["read"], "expires": "60"}, "whole number of seconds"),
        ({"scopes": ["read"], "expires": True}, "whole number of seconds"),
        ({"scopes": ["read"], "indexes": ["alice/nope"]}, "index 'alice/nope' does not exist"),
        ({"scopes": ["read"], "indexes": []}, "must not be empty"),
        ({"scopes": ["read"], "indexes": "alice/dev"}, "list of index names"),
        ({"scopes": ["read"], "description": "x" * 201}, "too long"),
        ({"scopes": ["read"], "colour": "red"}, "unknown keys in token request: colour"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_bad_token_requests_are_400_and_store_nothing(client, dev, body, message):
    assert_error(post_token(client, "alice", body, **basic("alice", "pw")), 400, message)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="token.create").exists()


def test_malformed_json_is_400(client, dev):
    assert_error(
        post_token(client, "alice", "{nope", **basic("alice", "pw")), 400, "could not decode JSON"
    )
    assert not ApiToken.objects.exists()


def test_someone_elses_tokens_are_refused(client, dev, bob):
    result = new_token(client)
    assert_error(
        post_token(client, "alice", {"scopes": ["read"]}, **basic("bob")),
        403,
        "no permission to create tokens for user alice",
    )
    assert_error(client.get("/alice/+tokens", **api("bob")), 403, "no permission")
    assert_error(
        client.delete(f"/alice/+tokens/{result['id']}", **api("bob")), 403, "no permission"
    )
    # anonymous: 403, as devpi refuses what its ACLs guard
    assert_error(post_token(client, "alice", {"scopes": ["read"]}), 403, "no permission")
    assert ApiToken.objects.get(public_id=result["id"]).revoked is None
    assert ApiToken.objects.count() == 1


def test_root_lists_and_revokes_but_cannot_create_for_others(client, dev, root):
    result = new_token(client)
    assert client.get("/alice/+tokens", **api("root", "rootpw")).status_code == 200
    assert_error(
        post_token(client, "alice", {"scopes": ["read"]}, **basic("root", "rootpw")),
        403,
        "no permission",
    )
    response = client.delete(f"/alice/+tokens/{result['id']}", **api("root", "rootpw"))
    assert response.status_code == 200


def test_unknown_token_id_is_404(client, dev):
    assert_error(
        client.delete("/alice/+tokens/abcdef", **api("alice")),
        404,
        "token 'abcdef' of user alice not found",
    )


def test_a_token_cannot_manage_tokens_users_or_indexes(client, dev):
    secret = new_token(client, scopes=["read", "upload", "toxresult"])["token"]
    assert_error(
        post_token(client, "alice", {"scopes": ["read"]}, **basic("alice", secret)),
        403,
        "no permission",
    )
    assert_error(client.get("/alice/+tokens", **api("alice", secret)), 403, "no permission")
    assert_error(
        client.patch(
            "/alice", json.dumps({"password": "new"}), content_type=JSON, **api("alice", secret)
        ),
        403,
        "no permission",
    )
    assert_error(
        client.put("/alice/new", "{}", content_type=JSON, **api("alice", secret)),
        403,
        "no permission",
    )
    assert_error(client.delete("/alice/dev", **api("alice", secret)), 403, "no permission")
    assert ApiToken.objects.count() == 1


def test_token_limit_per_user(client, dev, settings, monkeypatch):
    from indexes.services import tokens as services

    monkeypatch.setattr(services, "MAX_ACTIVE_TOKENS", 2)
    new_token(client)
    new_token(client)
    assert_error(
        post_token(client, "alice", {"scopes": ["read"]}, **basic("alice", "pw")),
        400,
        "active tokens",
    )
    assert ApiToken.objects.count() == 2


# -- using a token ----------------------------------------------------------------


def test_upload_with_token_as_dunder_token(client, dev, wheel):
    secret = new_token(client, indexes=["alice/dev"], scopes=["upload"])["token"]
    assert twine_upload(client, "alice/dev", wheel, "__token__", secret).status_code == 200
    assert ReleaseFile.objects.filter(index=dev).count() == 1
    event = AuditEvent.objects.get(action="file.upload")
    token_id = ApiToken.objects.get().public_id
    assert (event.actor, event.via, event.index) == ("alice", f"token:{token_id}", "alice/dev")


def test_token_out_of_scope_or_index_stores_nothing(client, dev, other, wheel):
    read_only = new_token(client, scopes=["read"])["token"]
    assert_error(
        twine_upload(client, "alice/dev", wheel, "alice", read_only), 403, "no permission to submit"
    )
    dev_only = new_token(client, scopes=["upload"], indexes=["alice/dev"])["token"]
    assert_error(
        twine_upload(client, "alice/other", wheel, "alice", dev_only),
        403,
        "no permission to submit",
    )
    assert not ReleaseFile.objects.exists()
    assert not AuditEvent.objects.filter(action="file.upload").exists()


def test_token_never_exceeds_owner_rights_at_time_of_use(client, dev, wheel, alice):
    secret = new_token(client, scopes=["upload"])["token"]
    dev.config = {**dev.config, "acl_upload": ["root"]}
    dev.save()
    assert_error(
        twine_upload(client, "alice/dev", wheel, "alice", secret), 403, "no permission to submit"
    )
    alice.is_active = False
    alice.save()
    assert_error(twine_upload(client, "alice/dev", wheel, "alice", secret), 401, "Unauthorized")
    assert not ReleaseFile.objects.exists()


def test_expired_token_is_refused(client, dev, wheel):
    result = new_token(client, scopes=["upload"], expires=60)
    ApiToken.objects.filter(public_id=result["id"]).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    assert_error(
        twine_upload(client, "alice/dev", wheel, "alice", result["token"]), 401, "Unauthorized"
    )  # devpi's bare 401 for an anonymous upload
    assert not ReleaseFile.objects.exists()
    listed = json_body(client.get("/alice/+tokens", **api("alice")))["result"]
    assert listed[0]["state"] == "expired"
    failure = AuditEvent.objects.get(action="login.failure")
    assert (failure.actor, failure.target, failure.via) == (":ANONYMOUS:", "alice", "token")


def test_wrong_user_name_with_token_is_refused(client, dev, wheel, bob):
    secret = new_token(client, scopes=["upload"])["token"]
    assert_error(twine_upload(client, "alice/dev", wheel, "bob", secret), 401, "Unauthorized")
    assert not ReleaseFile.objects.exists()


def test_devpi_client_login_with_token_hands_back_the_token(client, dev, wheel):
    result = new_token(client, scopes=["upload"], expires=600)
    response = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": result["token"]}),
        content_type=JSON,
        HTTP_ACCEPT=JSON,
    )
    assert response.status_code == 200
    login = json_body(response)["result"]
    assert login["password"] == result["token"]
    assert 0 < login["expiration"] <= 600
    headers = devpi_auth("alice", login["password"])
    status = json_body(client.get("/+api", HTTP_ACCEPT=JSON, **headers))["result"]
    assert status["authstatus"][:2] == ["ok", "alice"]
    assert (
        upload(
            client, "/alice/dev/", wheel, name="tokpkg", version="1.0", headers=headers
        ).status_code
        == 200
    )
    assert AuditEvent.objects.filter(
        action="login.success", actor="alice", via=f"token:{result['id']}"
    ).exists()


def test_login_with_bad_token_is_401_and_recorded(client, dev):
    response = client.post(
        "/+login",
        json.dumps({"user": "alice", "password": "devpi_" + "x" * 43}),
        content_type=JSON,
        HTTP_ACCEPT=JSON,
    )
    assert_error(response, 401, "could not be authenticated")
    assert AuditEvent.objects.filter(action="login.failure", target="alice").exists()


def test_toxresult_scope(client, dev, wheel):
    upload_secret = new_token(client, scopes=["upload"])["token"]
    assert twine_upload(client, "alice/dev", wheel, "alice", upload_secret).status_code == 200
    file = ReleaseFile.objects.get()
    report = json.dumps(
        {
            "reportversion": "1",
            "toxversion": "4",
            "platform": "linux",
            "host": "ci",
            "testenvs": {"py": {"test": [{"retcode": 0}]}},
        }
    )
    url = f"/alice/dev/+f/{file.hash_path}"
    response = client.post(
        url, report, content_type=JSON, **{"HTTP_ACCEPT": JSON, **basic("alice", upload_secret)}
    )
    assert response.status_code == 403
    tox_secret = new_token(client, scopes=["toxresult"])["token"]
    response = client.post(
        url, report, content_type=JSON, **{"HTTP_ACCEPT": JSON, **basic("alice", tox_secret)}
    )
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.filter(action="toxresult.upload", actor="alice").count() == 1


# -- the pure rules ---------------------------------------------------------------


class _Ix:
    def __init__(self, fullname):
        self.fullname = fullname


class _Token:
    def __init__(self, scopes, indexes):
        self.scopes, self.indexes, self.public_id = scopes, indexes, "t1"


class _User:
    username = "alice"


@pytest.mark.parametrize(
    "scopes, indexes, index, scope, allowed",
    [
        (["read"], None, "a/b", "read", True),
        (["read"], None, "a/b", "upload", False),
        (["upload"], ["a/b"], "a/b", "upload", True),
        (["upload"], ["a/b"], "a/c", "upload", False),
        (["read", "toxresult"], ["a/b", "a/c"], "a/c", "toxresult", True),
    ],
)
def test_token_allows(scopes, indexes, index, scope, allowed):
    user = _User()
    assert token_rules.token_allows(user, _Ix(index), scope)  # no token: the owner's rights
    user.devpi_api_token = _Token(scopes, indexes)
    assert token_rules.token_allows(user, _Ix(index), scope) is allowed


def test_token_request_normalises():
    request = token_request({"scopes": ["upload", "read", "read"], "indexes": ["/a/b/", "a/b"]})
    assert request.scopes == ["read", "upload"]
    assert request.indexes == ["a/b"]


def test_only_prefixed_secrets_of_bounded_length_are_looked_up():
    assert token_rules.looks_like_token(token_rules.token_generate())
    assert not token_rules.looks_like_token("secret")
    assert not token_rules.looks_like_token("devpi_" + "x" * 1000)


def test_service_creates_without_http(alice, dev):
    token, secret = api_token_create(owner=alice, data={"scopes": ["read"]})
    assert token_rules.api_token_user("alice", secret).devpi_api_token.pk == token.pk
    assert token_rules.api_token_user("__token__", secret) is not None
    assert token_rules.api_token_user("bob", secret) is None


# -- the web UI -------------------------------------------------------------------


def _browser(user, password="pw"):
    import re

    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user, password=password)
    page = client.get(f"/{user}/+settings", HTTP_ACCEPT="text/html").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client, csrf


def test_settings_page_creates_lists_and_revokes_tokens(dev, wheel):
    from django.test import Client

    browser, csrf = _browser("alice")
    response = browser.post(
        "/alice/+settings/tokens",
        {
            "csrfmiddlewaretoken": csrf,
            "description": "laptop",
            "scopes": ["upload"],
            "indexes": "alice/dev",
            "expires": "3600",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    token = ApiToken.objects.get()
    import re

    secret = re.search(r'<code id="new-token">(devpi_[^<]+)</code>', page).group(1)
    assert "shown only this once" in page and token.public_id in page
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (token.scopes, token.indexes, token.description) == (["upload"], ["alice/dev"], "laptop")
    again = browser.get("/alice/+settings", HTTP_ACCEPT="text/html").content.decode()
    assert token.public_id in again and secret not in again
    # without the CSRF token nothing happens
    assert browser.post(f"/alice/+settings/tokens/{token.public_id}/revoke").status_code == 403
    token.refresh_from_db()
    assert token.revoked is None
    response = browser.post(
        f"/alice/+settings/tokens/{token.public_id}/revoke", {"csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None
    revoke = AuditEvent.objects.get(action="token.revoke")
    assert (revoke.actor, revoke.via) == ("alice", "session")
    # bad input: 400, the message on the page, nothing stored
    response = browser.post(
        "/alice/+settings/tokens",
        {
            "csrfmiddlewaretoken": csrf,
            "description": "x",
            "indexes": "alice/nope",
            "scopes": ["read"],
        },
    )
    assert response.status_code == 400 and b"does not exist" in response.content
    response = browser.post("/alice/+settings/tokens", {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 400 and b"non-empty list" in response.content
    assert ApiToken.objects.count() == 1
    # anonymous and other users are refused
    assert Client().post("/alice/+settings/tokens", {"scopes": ["read"]}).status_code == 403


def test_browsers_asking_for_the_token_list_go_to_the_settings_page(client, dev):
    response = client.get("/alice/+tokens", HTTP_ACCEPT="text/html")
    assert response.status_code == 302 and response["Location"] == "/alice/+settings#tokens"


def test_someone_else_cannot_use_the_settings_forms(dev, bob):
    token, _ = api_token_create(owner=dev.owner, data={"scopes": ["read"]})
    browser, csrf = _browser("bob")
    assert (
        browser.post(
            "/alice/+settings/tokens", {"csrfmiddlewaretoken": csrf, "scopes": ["read"]}
        ).status_code
        == 403
    )
    assert (
        browser.post(
            f"/alice/+settings/tokens/{token.public_id}/revoke", {"csrfmiddlewaretoken": csrf}
        ).status_code
        == 403
    )
    token.refresh_from_db()
    assert token.revoked is None and ApiToken.objects.count() == 1


# -- hostile input ----------------------------------------------------------------


def test_hostile_token_requests_are_bounded(client, dev):
    import time

    started = time.monotonic()
    huge = {"scopes": ["read"], "indexes": [f"alice/x{n}" for n in range(100_000)]}
    assert_error(post_token(client, "alice", huge, **basic("alice")), 400, "100 indexes at most")
    nested = {"scopes": ["read"], "description": {"a": [[[["x"]]]]}}
    assert_error(
        post_token(client, "alice", nested, **basic("alice")), 400, "'description' must be a string"
    )
    assert_error(
        post_token(client, "alice", {"scopes": ["read"] * 10 + [{"x": 1}]}, **basic("alice")),
        400,
        "unknown scope",
    )
    assert time.monotonic() - started < 5
    assert not ApiToken.objects.exists()


def test_oversized_or_foreign_secrets_are_not_looked_up(client, dev, django_assert_num_queries):
    long_secret = "devpi_" + "a" * 100_000
    with django_assert_num_queries(0):
        assert token_rules.api_token_user("alice", long_secret) is None
    response = client.get("/+api", HTTP_ACCEPT=JSON, **basic("alice", long_secret))
    assert json_body(response)["result"]["authstatus"][0] == "noauth"
