"""devpi's JSON API through Django's test client against the real URLs:
users, indexes, login and tokens, /+api, limits, and the wire format."""

import json

import pytest
from django.contrib.auth import get_user_model

from indexes.models import Index
from indexes.services.uploads import UploadForm, release_file_upload
from tests.factories import make_wheel

from .conftest import (
    JSON,
    api,
    assert_error,
    basic,
    create_user,
    devpi_auth,
    json_body,
    mirror_index,
    stage,
)

pytestmark = pytest.mark.usefixtures("open_server")


def put(client, url, data, **headers):
    body = data if isinstance(data, (bytes, str)) else json.dumps(data)
    return client.put(url, body, content_type=JSON, **{"HTTP_ACCEPT": JSON, **headers})


def patch(client, url, data, **headers):
    return client.patch(
        url, json.dumps(data), content_type=JSON, **{"HTTP_ACCEPT": JSON, **headers}
    )


def login(client, user, password):
    return client.post(
        "/+login",
        json.dumps({"user": user, "password": password}),
        content_type=JSON,
        HTTP_ACCEPT=JSON,
    )


def token_of(client, user, password="pw"):
    response = login(client, user, password)
    assert response.status_code == 200, response.content
    return json_body(response)["result"]["password"]


# -- users ------------------------------------------------------------------------------------


def test_create_user(client, db):
    response = put(
        client,
        "/carol",
        {
            "password": "secret",
            "email": "carol@example.com",
            "title": "Carol",
            "description": "d",
            "custom_data": {"team": ["a"]},
        },
    )
    assert response.status_code == 201
    data = json_body(response)
    assert data["type"] == "userconfig"
    result = data["result"]
    assert result["username"] == "carol"
    assert result["email"] == "carol@example.com"
    assert result["title"] == "Carol" and result["description"] == "d"
    assert result["custom_data"] == {"team": ["a"]}
    assert result["indexes"] == {}
    user = get_user_model().objects.get(username="carol")
    assert user.check_password("secret") and user.email == "carol@example.com"
    assert token_of(client, "carol", "secret")


def test_create_user_with_the_empty_password(client, db):
    assert put(client, "/carol", {"password": ""}).status_code == 201
    assert token_of(client, "carol", "")
    assert login(client, "carol", "x").status_code == 401


def test_create_existing_user(client, alice):
    assert_error(put(client, "/alice", {"password": "x"}), 409, "user already exists")
    assert get_user_model().objects.get(username="alice").check_password("pw")


def test_create_user_without_password(client, db):
    assert_error(put(client, "/carol", {"email": "c@example.com"}), 400, "password needs to be set")
    assert not get_user_model().objects.filter(username="carol").exists()


def test_create_user_with_unknown_key(client, db):
    assert_error(
        put(client, "/carol", {"password": "x", "foo": "bar"}),
        400,
        "Unknown keys in user config: foo",
    )
    assert not get_user_model().objects.filter(username="carol").exists()


@pytest.mark.parametrize("name", ["bad:name", "bad%20name", "bad;name", "bad'name"])
def test_create_user_with_bad_name(client, db, name):
    response = put(client, f"/{name}", {"password": "x"})
    assert_error(response, 400, "will not be accepted as username")
    assert not get_user_model().objects.exists()


def test_create_user_with_wrong_value_type(client, db):
    assert_error(
        put(client, "/carol", {"password": 5}), 400, "user config key 'password' must be a string"
    )


def test_get_user(client, alice):
    stage(alice, "dev", title="Dev")
    response = client.get("/alice", HTTP_ACCEPT=JSON)
    data = json_body(response)
    assert data["type"] == "userconfig"
    assert data["result"]["username"] == "alice"
    assert data["result"]["indexes"]["dev"]["type"] == "stage"
    assert data["result"]["indexes"]["dev"]["title"] == "Dev"
    assert "password" not in data["result"]


def test_get_unknown_user(client, db):
    assert_error(client.get("/nobody", HTTP_ACCEPT=JSON), 404, "user 'nobody' does not exist")


def test_patch_self(client, alice):
    response = patch(client, "/alice", {"email": "new@example.com", "title": "A"}, **basic("alice"))
    assert response.status_code == 200
    assert json_body(response)["message"] == "user updated"
    result = json_body(client.get("/alice", HTTP_ACCEPT=JSON))["result"]
    assert result["email"] == "new@example.com" and result["title"] == "A"
    assert "modified" in result


def test_patch_own_password_returns_a_new_token(client, alice):
    old_token = token_of(client, "alice")
    response = patch(client, "/alice", {"password": "new"}, **devpi_auth("alice", old_token))
    assert response.status_code == 200
    data = json_body(response)
    assert data["type"] == "userpassword"
    new_token = data["result"]["password"]
    assert data["result"]["expiration"] == 36000
    assert login(client, "alice", "pw").status_code == 401
    assert token_of(client, "alice", "new")
    # the old token died with the old password; the new one works
    status = json_body(client.get("/+api", HTTP_ACCEPT=JSON, **devpi_auth("alice", old_token)))
    assert status["result"]["authstatus"][0] == "noauth"
    status = json_body(client.get("/+api", HTTP_ACCEPT=JSON, **devpi_auth("alice", new_token)))
    assert status["result"]["authstatus"][:2] == ["ok", "alice"]


def test_patch_other_user(client, alice, bob):
    assert_error(
        patch(client, "/alice", {"email": "x@example.com"}, **basic("bob")),
        403,
        "no permission to modify user alice",
    )
    # anonymous too: 403, as devpi (devpi-client's own suite checks it)
    response = patch(client, "/alice", {"email": "x@example.com"})
    assert_error(response, 403, "no permission to modify user alice")
    assert "WWW-Authenticate" not in response
    assert get_user_model().objects.get(username="alice").email == ""


def test_root_may_patch_anyone(client, root, alice):
    response = patch(client, "/alice", {"title": "by root"}, **basic("root", "rootpw"))
    assert response.status_code == 200
    assert json_body(client.get("/alice", HTTP_ACCEPT=JSON))["result"]["title"] == "by root"


def test_patch_user_with_unknown_key(client, alice):
    assert_error(
        patch(client, "/alice", {"colour": "red"}, **basic("alice")),
        400,
        "Unknown keys in user config: colour",
    )


def test_delete_self(client, alice):
    stage(alice, "dev")  # volatile indexes go with the user
    response = client.delete("/alice", **api("alice"))
    assert response.status_code == 200
    assert json_body(response)["message"] == "user 'alice' deleted"
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not Index.objects.exists()
    assert client.get("/alice", HTTP_ACCEPT=JSON).status_code == 404


def test_delete_other_user_refused(client, alice, bob):
    assert_error(client.delete("/alice", **api("bob")), 403, "no permission to delete user alice")
    assert_error(client.delete("/alice", **api()), 403, "no permission to delete user alice")
    assert get_user_model().objects.filter(username="alice").exists()


def test_delete_user_with_non_volatile_index(client, alice):
    stage(alice, "prod", volatile=False)
    assert_error(
        client.delete("/alice", **api("alice")), 403, "user 'alice' has non-volatile index: prod"
    )
    assert get_user_model().objects.filter(username="alice").exists()


def test_root_cannot_be_deleted(client, root):
    assert_error(
        client.delete("/root", **api("root", "rootpw")), 403, "no permission to delete user root"
    )
    assert get_user_model().objects.filter(username="root").exists()


def test_restricted_modify(client, settings, root, alice):
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": ["root"]}
    assert_error(
        put(client, "/carol", {"password": "x"}, **basic("alice")),
        403,
        "no permission to create user carol",
    )
    assert put(client, "/carol", {"password": "x"}, **basic("root", "rootpw")).status_code == 201
    assert_error(
        put(client, "/alice/dev", {}, **basic("alice")),
        403,
        "no permission to create index alice/dev",
    )
    # everyone may still change their own password
    assert patch(client, "/alice", {"password": "new"}, **basic("alice")).status_code == 200


# -- indexes ----------------------------------------------------------------------------------


def test_create_index(client, alice):
    response = put(client, "/alice/dev", {"bases": [], "title": "Dev"}, **basic("alice"))
    assert response.status_code == 200
    data = json_body(response)
    assert data["type"] == "indexconfig"
    assert data["result"] == {
        "type": "stage",
        "volatile": True,
        "bases": [],
        "acl_upload": ["alice"],
        "acl_toxresult_upload": [":ANONYMOUS:"],
        "mirror_whitelist": [],
        "mirror_whitelist_inheritance": "intersection",
        "title": "Dev",
    }
    index = Index.objects.get(owner=alice, name="dev")
    assert index.config["title"] == "Dev"


def test_create_index_without_body(client, alice):
    response = client.put("/alice/dev", **api("alice"))
    assert response.status_code == 200
    assert json_body(response)["result"]["acl_upload"] == ["alice"]


def test_create_mirror_index(client, root):
    response = put(
        client,
        "/root/mirror",
        {"type": "mirror", "mirror_url": "http://127.0.0.1:9/simple/"},
        **basic("root", "rootpw"),
    )
    assert response.status_code == 200
    result = json_body(response)["result"]
    assert result == {
        "type": "mirror",
        "volatile": True,
        "mirror_cache_expiry": 1800,
        "mirror_url": "http://127.0.0.1:9/simple/",
    }


def test_create_existing_index(client, alice):
    stage(alice, "dev", title="Old")
    assert_error(
        put(client, "/alice/dev", {"title": "New"}, **basic("alice")),
        409,
        "index 'alice/dev' exists",
    )
    assert Index.objects.get(name="dev").config["title"] == "Old"


def test_create_index_with_unknown_key(client, alice):
    response = put(client, "/alice/dev", {"foo": "bar"}, **basic("alice"))
    assert_error(response, 400, "indexconfig got unexpected keyword arguments: foo=bar")
    assert json.loads(response.content) == {
        "message": "indexconfig got unexpected keyword arguments: foo=bar"
    }
    assert not Index.objects.exists()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"bases": "nobody/nothing"}, "base index 'nobody/nothing' does not exist"),
        ({"volatile": "perhaps"}, "Unknown boolean value 'perhaps'."),
        ({"type": "weird"}, "unknown index type 'weird'"),
        ([], "Bad request: expected a JSON object"),
    ],
)
def test_create_index_invalid(client, alice, config, message):
    assert_error(put(client, "/alice/dev", config, **basic("alice")), 400, message)
    assert not Index.objects.exists()


def test_create_index_bad_name(client, alice):
    assert_error(
        put(client, "/alice/d:v", {}, **basic("alice")),
        400,
        "indexname 'd:v' contains characters that are not allowed",
    )


def test_create_index_for_unknown_user(client, root):
    assert_error(
        put(client, "/nobody/dev", {}, **basic("root", "rootpw")),
        404,
        "user 'nobody' does not exist",
    )


def test_create_index_rights(client, alice, bob):
    response = put(client, "/alice/dev", {})
    assert_error(response, 403, "no permission to create index alice/dev")
    assert_error(
        put(client, "/alice/dev", {}, **basic("bob")),
        403,
        "no permission to create index alice/dev",
    )
    assert not Index.objects.exists()


def test_get_index_lists_projects(client, alice, blob_dir, tmp_path):
    dev = stage(alice, "dev")
    response = client.get("/alice/dev", HTTP_ACCEPT=JSON)
    data = json_body(response)
    assert data["type"] == "indexconfig"
    assert data["result"]["projects"] == []
    for name in ("Zeta_Pkg", "alpha"):
        wheel = make_wheel(tmp_path / name, name, "1.0")
        with open(wheel, "rb") as fh:
            release_file_upload(
                index=dev,
                user=alice,
                filename=wheel.name,
                content=fh,
                form=UploadForm({"name": [name], "version": ["1.0"]}),
            )
    result = json_body(client.get("/alice/dev", HTTP_ACCEPT=JSON))["result"]
    assert result["projects"] == ["alpha", "zeta-pkg"]
    assert result["acl_upload"] == ["alice"]
    assert (
        "projects"
        not in json_body(client.get("/alice/dev?no_projects=", HTTP_ACCEPT=JSON))["result"]
    )


def test_patch_index_with_a_dict(client, alice, bob):
    stage(alice, "base")
    stage(alice, "dev")
    response = patch(
        client,
        "/alice/dev",
        {
            "bases": "alice/base",
            "volatile": "no",
            "acl_upload": "alice,:authenticated:",
            "title": "T",
        },
        **basic("alice"),
    )
    assert response.status_code == 200
    result = json_body(response)["result"]
    assert result["type"] == "stage"
    assert result["bases"] == ["alice/base"]
    assert result["volatile"] is False
    assert result["acl_upload"] == ["alice", ":AUTHENTICATED:"]
    assert result["title"] == "T"
    assert Index.objects.get(name="dev").config == {k: v for k, v in result.items() if k != "type"}


def test_patch_index_with_key_value_operations(client, alice):
    stage(alice, "dev", title="T", acl_upload="alice")
    response = patch(
        client,
        "/alice/dev",
        ["acl_upload+=bob", "mirror_whitelist=Foo_Bar", "volatile=False", "title-="],
        **basic("alice"),
    )
    assert response.status_code == 200, response.content
    result = json_body(response)["result"]
    assert result["acl_upload"] == ["alice", "bob"]
    assert result["mirror_whitelist"] == ["foo-bar"]
    assert result["volatile"] is False
    assert "title" not in result
    response = patch(client, "/alice/dev", ["acl_upload-=bob"], **basic("alice"))
    assert json_body(response)["result"]["acl_upload"] == ["alice"]
    assert Index.objects.get(name="dev").config["acl_upload"] == ["alice"]


def test_patch_index_operations_errors(client, alice):
    stage(alice, "dev")
    assert_error(
        patch(client, "/alice/dev", ["acl_upload-=nobody"], **basic("alice")),
        400,
        "The 'acl_upload' setting doesn't have value 'nobody'",
    )
    assert_error(
        patch(client, "/alice/dev", ["foo=bar"], **basic("alice")),
        400,
        "indexconfig got unexpected keyword arguments: foo=bar",
    )
    assert_error(
        patch(client, "/alice/dev", {"foo": "bar"}, **basic("alice")),
        400,
        "indexconfig got unexpected keyword arguments: foo=bar",
    )
    assert_error(
        patch(client, "/alice/dev", {"type": "mirror"}, **basic("alice")),
        400,
        "the 'type' of an index can't be changed",
    )
    assert_error(
        patch(client, "/alice/dev", "volatile", **basic("alice")),
        400,
        "index config must be a JSON object or a list of key=value operations",
    )
    assert Index.objects.get(name="dev").config["volatile"] is True


def test_patch_index_base_cycle(client, alice):
    stage(alice, "a")
    stage(alice, "b", bases="alice/a")
    assert_error(
        patch(client, "/alice/a", {"bases": "alice/b"}, **basic("alice")),
        400,
        "bases of 'alice/a' would form a cycle",
    )


def test_patch_index_rights(client, alice, bob):
    stage(alice, "dev")
    assert_error(
        patch(client, "/alice/dev", {"title": "x"}), 403, "no permission to modify index alice/dev"
    )
    assert_error(
        patch(client, "/alice/dev", {"title": "x"}, **basic("bob")),
        403,
        "no permission to modify index alice/dev",
    )
    assert "title" not in Index.objects.get(name="dev").config


def test_delete_index(client, alice):
    stage(alice, "dev")
    response = client.delete("/alice/dev", **api("alice"))
    assert response.status_code == 201
    assert json_body(response)["message"] == "index alice/dev deleted"
    assert not Index.objects.exists()
    assert_error(
        client.get("/alice/dev", HTTP_ACCEPT=JSON), 404, "The stage alice/dev could not be found."
    )


def test_delete_non_volatile_index(client, alice):
    stage(alice, "prod", volatile=False)
    assert_error(
        client.delete("/alice/prod", **api("alice")),
        403,
        "index alice/prod non-volatile, cannot delete",
    )
    assert Index.objects.filter(name="prod").exists()


def test_delete_index_rights(client, alice, bob):
    stage(alice, "dev")
    response = client.delete("/alice/dev", **api())
    assert_error(response, 403, "no permission to delete index alice/dev")
    assert_error(
        client.delete("/alice/dev", **api("bob")), 403, "no permission to delete index alice/dev"
    )
    assert Index.objects.filter(name="dev").exists()


def test_root_may_delete_any_volatile_index(client, root, alice):
    stage(alice, "dev")
    assert client.delete("/alice/dev", **api("root", "rootpw")).status_code == 201


# -- listing, /+api, /+status ------------------------------------------------------------------


def test_root_lists_users_and_indexes(client, alice, bob):
    stage(alice, "dev")
    stage(bob, "prod", volatile=False)
    data = json_body(client.get("/", HTTP_ACCEPT=JSON))
    assert data["type"] == "list:userconfig"
    result = data["result"]
    assert set(result) == {"alice", "bob"}
    assert result["alice"]["username"] == "alice"
    assert set(result["alice"]["indexes"]) == {"dev"}
    assert result["bob"]["indexes"]["prod"]["volatile"] is False


def test_root_html_by_default(client, alice):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"alice" in response.content
    assert response["X-Devpi-Api-Version"] == "2"


def test_apiconfig(client, db):
    data = json_body(client.get("/+api", HTTP_ACCEPT=JSON))
    assert data["type"] == "apiconfig"
    result = data["result"]
    assert result["login"] == "http://testserver/+login"
    assert result["authstatus"] == ["noauth", "", []]
    # devpi-client sends PATCHes of key/value operations only with this feature
    assert "server-keyvalue-parsing" in result["features"]
    assert "index" not in result and "pypisubmit" not in result


def test_apiconfig_of_an_index(client, alice, root):
    stage(alice, "dev")
    mirror_index(root)
    result = json_body(client.get("/alice/dev/+api", HTTP_ACCEPT=JSON))["result"]
    assert result["index"] == "http://testserver/alice/dev"
    assert result["simpleindex"] == "http://testserver/alice/dev/+simple/"
    assert result["pypisubmit"] == "http://testserver/alice/dev/"
    assert result["login"] == "http://testserver/+login"
    result = json_body(client.get("/root/pypi/+api", HTTP_ACCEPT=JSON))["result"]
    assert result["simpleindex"] == "http://testserver/root/pypi/+simple/"
    assert "pypisubmit" not in result
    assert json_body(client.get("/alice/+api", HTTP_ACCEPT=JSON))["type"] == "apiconfig"
    assert_error(
        client.get("/alice/nothing/+api", HTTP_ACCEPT=JSON),
        404,
        "The stage alice/nothing could not be found.",
    )
    assert_error(client.get("/nobody/+api", HTTP_ACCEPT=JSON), 404, "user 'nobody' does not exist")


def test_apiconfig_honours_the_outside_url(client, settings, alice):
    stage(alice, "dev")
    result = json_body(
        client.get(
            "/alice/dev/+api",
            HTTP_ACCEPT=JSON,
            HTTP_X_OUTSIDE_URL="https://pkgs.example.com/devpi/",
        )
    )["result"]
    assert result["login"] == "https://pkgs.example.com/devpi/+login"
    assert result["pypisubmit"] == "https://pkgs.example.com/devpi/alice/dev/"
    settings.DEVPI = {**settings.DEVPI, "OUTSIDE_URL": "https://configured.example.com"}
    result = json_body(
        client.get("/+api", HTTP_ACCEPT=JSON, HTTP_X_OUTSIDE_URL="https://header.example.com")
    )["result"]
    assert result["login"] == "https://configured.example.com/+login"


def test_status(client, db):
    data = json_body(client.get("/+status", HTTP_ACCEPT=JSON))
    assert data["type"] == "status"
    versions = data["result"]["versioninfo"]
    assert versions["devpi-server"] == "6.20.3"
    assert "devpi-django" in versions
    assert isinstance(data["result"]["serial"], int)
    assert data["result"]["uuid"]


# -- login and tokens ---------------------------------------------------------------------------


def test_login(client, alice):
    response = login(client, "alice", "pw")
    assert response.status_code == 200
    data = json_body(response)
    assert data["type"] == "proxyauth"
    assert data["result"]["expiration"] == 36000
    assert data["result"]["password"] and data["result"]["password"] != "pw"


def test_login_bad_password(client, alice):
    assert_error(login(client, "alice", "wrong"), 401, "user 'alice' could not be authenticated")


def test_login_unknown_user(client, db):
    # no way to tell a missing user from a wrong password (devpi answers 401 too)
    assert_error(login(client, "nobody", "pw"), 401, "user 'nobody' could not be authenticated")


def test_login_inactive_user(client, alice):
    alice.is_active = False
    alice.save()
    assert_error(login(client, "alice", "pw"), 401, "user 'alice' could not be authenticated")


@pytest.mark.parametrize("body", [{}, {"user": "alice"}, {"user": 1, "password": "pw"}])
def test_login_without_credentials(client, alice, body):
    response = client.post("/+login", json.dumps(body), content_type=JSON, HTTP_ACCEPT=JSON)
    assert_error(response, 400, "Bad request: no user/password specified")


def test_token_in_x_devpi_auth(client, alice):
    token = token_of(client, "alice")
    result = json_body(client.get("/+api", HTTP_ACCEPT=JSON, **devpi_auth("alice", token)))[
        "result"
    ]
    assert result["authstatus"] == ["ok", "alice", []]
    response = put(client, "/alice/dev", {}, **devpi_auth("alice", token))
    assert response.status_code == 200
    # a token of alice is no token of bob
    create_user("bob")
    response = put(client, "/bob/dev", {}, **devpi_auth("bob", token))
    assert_error(response, 403, "no permission to create index bob/dev")


def test_token_as_basic_password(client, alice):
    token = token_of(client, "alice")
    assert put(client, "/alice/dev", {}, **basic("alice", token)).status_code == 200
    result = json_body(client.get("/+api", HTTP_ACCEPT=JSON, **basic("alice", token)))["result"]
    assert result["authstatus"][:2] == ["ok", "alice"]


def test_basic_alongside_a_valid_x_devpi_auth(client, alice):
    token = token_of(client, "alice")
    headers = {**devpi_auth("alice", token), **basic("alice", "not-the-password")}
    assert put(client, "/alice/dev", {}, **headers).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "not base64 at all!",
        "YWxpY2U=",  # "alice", no colon
        "YWxpY2U6Zm9vLmJhci5iYXo=",  # alice:foo.bar.baz
    ],
)
def test_invalid_x_devpi_auth_counts_as_anonymous(client, alice, header):
    response = client.get("/+api", HTTP_ACCEPT=JSON, HTTP_X_DEVPI_AUTH=header)
    assert response.status_code == 200
    assert json_body(response)["result"]["authstatus"] == ["noauth", "", []]
    assert client.get("/alice", HTTP_ACCEPT=JSON, HTTP_X_DEVPI_AUTH=header).status_code == 200
    response = put(client, "/alice/dev", {}, HTTP_X_DEVPI_AUTH=header)
    assert_error(response, 403, "no permission to create index alice/dev")


def test_wrong_basic_password_counts_as_anonymous(client, alice):
    response = client.get("/+api", HTTP_ACCEPT=JSON, **basic("alice", "wrong"))
    assert json_body(response)["result"]["authstatus"] == ["noauth", "", []]


# -- request limits and malformed bodies --------------------------------------------------------


def test_oversized_json_body(client, settings, alice):
    settings.DEVPI = {**settings.DEVPI, "MAX_JSON_BYTES": 100}
    body = {"password": "x", "description": "d" * 200}
    assert_error(put(client, "/carol", body), 413, "larger than the limit of 100 bytes")
    assert not get_user_model().objects.filter(username="carol").exists()
    stage(alice, "dev")
    assert_error(
        patch(client, "/alice/dev", {"description": "d" * 200}, **basic("alice")),
        413,
        "larger than the limit of 100 bytes",
    )
    assert "description" not in Index.objects.get(name="dev").config
    # a body under the limit is fine
    assert put(client, "/carol", {"password": "x"}).status_code == 201


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b'{"password": "x"'])
def test_malformed_json(client, db, body):
    assert_error(put(client, "/carol", body), 400, "Bad request: could not decode JSON body")
    assert not get_user_model().objects.filter(username="carol").exists()


def test_json_that_is_not_an_object(client, db):
    assert_error(put(client, "/carol", ["password"]), 400, "Bad request: expected a JSON object")


def test_method_not_allowed(client, db):
    assert_error(client.post("/", HTTP_ACCEPT=JSON), 405, "method POST not allowed here")


# -- the wire format of every reply --------------------------------------------------------------


def test_every_reply_has_the_api_version_header(client, alice):
    stage(alice, "dev")
    replies = [
        client.get("/", HTTP_ACCEPT=JSON),
        client.get("/"),
        client.get("/+api"),
        client.get("/alice", HTTP_ACCEPT=JSON),
        client.get("/alice/dev", HTTP_ACCEPT=JSON),
        client.get("/alice/dev/+simple/"),
        client.get("/nobody", HTTP_ACCEPT=JSON),
        client.get("/nobody"),
        login(client, "alice", "bad"),
        put(client, "/alice/dev", {}, **basic("alice")),
        client.delete("/alice/dev", **api("bob")),
    ]
    for response in replies:
        assert response["X-Devpi-Api-Version"] == "2", response
        assert response["X-Devpi-Serial"].isdigit()
        assert response["X-Devpi-Uuid"]
        assert response["X-Devpi-Server-Version"]


def test_json_replies_have_exactly_application_json(client, alice):
    stage(alice, "dev")
    for response in (
        client.get("/+api", HTTP_ACCEPT=JSON),
        client.get("/", HTTP_ACCEPT=JSON),
        client.get("/alice/dev", HTTP_ACCEPT=JSON),
        login(client, "alice", "pw"),
        client.get("/nobody", HTTP_ACCEPT=JSON),
        login(client, "alice", "x"),
    ):
        assert response["Content-Type"] == "application/json"
        json.loads(response.content)


@pytest.mark.parametrize("accept", [JSON, None, "text/html"])
def test_errors_carry_the_message_in_the_reason_phrase(client, alice, accept):
    """Text clients (twine, pip) see the message as the reason phrase; JSON
    clients (devpi-client prints phrase and message) get the standard one."""
    stage(alice, "dev")
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.put(
        "/alice/dev", json.dumps({}), content_type=JSON, **headers, **basic("alice")
    )
    assert response.status_code == 409
    expected = "Conflict" if accept == JSON else "index 'alice/dev' exists"
    assert response.reason_phrase == expected
    if accept == JSON:
        assert response["Content-Type"] == JSON
        assert json.loads(response.content) == {"message": "index 'alice/dev' exists"}
    else:
        assert "index 'alice/dev' exists" in response.content.decode()


def test_reason_phrase_is_latin1_safe(client, alice):
    response = client.get("/nobody\u2603", HTTP_ACCEPT="text/plain")
    assert response.status_code == 404
    response.reason_phrase.encode("latin-1")
    assert "user 'nobody?' does not exist" in response.reason_phrase
