"""The API views on DRF (``indexes.views.api``): authentication where a bad
credential is anonymous, 405 with ``Allow``, parse errors as devpi's
``{"message"}``, the renderers each URL offers, and the write services that
refuse an unauthorised actor themselves."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from indexes.errors import Forbidden, Unauthorized
from indexes.models import Index, Project, Release
from indexes.permissions import SERVER
from indexes.services import indexes as index_services
from indexes.services import project_status, removal, users, yank

from .conftest import JSON, PIP_ACCEPT, SIMPLE_JSON, api, assert_error, basic, devpi_auth, stage

pytestmark = pytest.mark.usefixtures("open_server")

SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"


def release(index: Index, name: str = "pkg", version: str = "1.0") -> Release:
    project, _ = Project.objects.get_or_create(index=index, name=name)
    return Release.objects.create(project=project, version=version)


# -- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [basic("alice", "wrong"), basic("nobody", "pw"), devpi_auth("alice", "not-a-token")],
)
@pytest.mark.parametrize("url", ["/", "/+status", "/alice", "/alice/dev", "/alice/dev/pkg"])
def test_a_bad_credential_reads_as_anonymous(client, alice, credentials, url):
    release(stage(alice, "dev"))
    response = client.get(url, HTTP_ACCEPT=JSON, **credentials)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == JSON


def test_a_bad_credential_on_a_private_index_asks_for_credentials(client, alice):
    stage(alice, "private", acl_read=["alice"])
    response = client.get("/alice/private", HTTP_ACCEPT=JSON, **basic("alice", "wrong"))
    assert_error(response, 401, "authentication required to read alice/private")
    assert client.get("/alice/private", **api("alice")).status_code == 200


def test_a_bad_credential_on_a_write_is_anonymous_and_refused_with_403(client, alice):
    stage(alice, "dev")
    response = client.patch(
        "/alice/dev", "{}", content_type=JSON, HTTP_ACCEPT=JSON, **basic("alice", "wrong")
    )
    assert_error(response, 403, "no permission to modify index alice/dev")


# -- methods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/"), ("put", "/+status"), ("delete", "/+login"), ("post", "/alice")],
)
def test_405_carries_allow(client, alice, method, url):
    response = getattr(client, method)(url, HTTP_ACCEPT=JSON)
    assert_error(response, 405, f"method {method.upper()} not allowed here")
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert method.upper() not in allowed and "OPTIONS" not in allowed
    assert "GET" in allowed or "POST" in allowed


def test_allow_names_the_views_methods(client, alice):
    response = client.post("/alice", HTTP_ACCEPT=JSON)
    assert response["Allow"] == "GET, PUT, PATCH, DELETE, HEAD"
    assert client.options("/", HTTP_ACCEPT=JSON).status_code == 405


# -- request bodies ------------------------------------------------------------------------


def test_json_parse_errors_are_devpis_message(client, alice):
    stage(alice, "dev")
    response = client.patch(
        "/alice/dev", b"{nope", content_type=JSON, HTTP_ACCEPT=JSON, **basic("alice")
    )
    assert_error(response, 400, "Bad request: could not decode JSON body")
    assert set(json.loads(response.content)) == {"message"}
    deep = "[" * 1000 + "]" * 1000
    response = client.patch(
        "/alice/dev", deep, content_type=JSON, HTTP_ACCEPT=JSON, **basic("alice")
    )
    assert_error(response, 400, "Bad request")


def test_oversized_json_is_413_with_devpis_message(client, settings, alice):
    settings.DEVPI = {**settings.DEVPI, "MAX_JSON_BYTES": 50}
    body = json.dumps({"user": "alice", "password": "p" * 100})
    response = client.post("/+login", body, content_type=JSON, HTTP_ACCEPT=JSON)
    assert_error(response, 413, "larger than the limit of 50 bytes")
    assert set(json.loads(response.content)) == {"message"}
    # the same limit where the body comes without a JSON content type
    response = client.generic(
        "PATCH", "/alice", body, content_type="text/plain", HTTP_ACCEPT=JSON, **basic("alice")
    )
    assert_error(response, 413, "larger than the limit of 50 bytes")


def test_json_without_a_json_content_type_is_still_read(client, alice):
    stage(alice, "dev")
    response = client.generic(
        "PATCH",
        "/alice/dev",
        json.dumps(["title=plain"]),
        content_type="text/plain",
        HTTP_ACCEPT=JSON,
        **basic("alice"),
    )
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["result"]["title"] == "plain"


# -- negotiation ---------------------------------------------------------------------------


def test_writes_answer_json_whatever_the_accept(client, alice):
    stage(alice, "dev")
    for accept in ("text/html", SIMPLE_JSON):
        response = client.patch(
            "/alice/dev", "[]", content_type=JSON, HTTP_ACCEPT=accept, **basic("alice")
        )
        assert response.status_code == 200 and response["Content-Type"] == JSON


def test_index_url_offers_per_client(client, alice):
    stage(alice, "dev")
    assert client.get("/alice/dev", HTTP_ACCEPT=SIMPLE_JSON)["Content-Type"] == SIMPLE_JSON
    # a browser's Accept: the web page; pip's: the simple page
    page = client.get("/alice/dev", HTTP_ACCEPT="text/html")
    assert page["Content-Type"] == "text/html; charset=utf-8" and b"/+login" in page.content
    pip = client.get("/alice/dev", HTTP_ACCEPT=PIP_ACCEPT, HTTP_USER_AGENT="pip/24.0")
    assert pip["Content-Type"] == SIMPLE_JSON
    # the PEP 691 HTML type is no offer of the index URL to a browser
    other = client.get("/alice/dev", HTTP_ACCEPT="application/vnd.pypi.simple.v1+html")
    assert other["Content-Type"] == "text/html; charset=utf-8" and b"/+login" in other.content


def test_project_url_offers_per_client(client, alice):
    release(stage(alice, "dev"))
    tie = f"{SIMPLE_JSON}, {SIMPLE_HTML}"
    # a browser or script: the web page, JSON, then PEP 691's types in that order
    assert client.get("/alice/dev/pkg", HTTP_ACCEPT=tie)["Content-Type"] == SIMPLE_JSON
    assert client.get("/alice/dev/pkg", HTTP_ACCEPT=SIMPLE_HTML)["Content-Type"] == SIMPLE_HTML
    # an installer: text/html's simple page, then PEP 691's HTML, then its JSON
    pip = {"HTTP_USER_AGENT": "pip/24.0"}
    assert client.get("/alice/dev/pkg", HTTP_ACCEPT=tie, **pip)["Content-Type"] == SIMPLE_HTML
    page = client.get("/alice/dev/pkg", HTTP_ACCEPT="text/html", **pip)
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert b"Links for pkg" in page.content  # the simple page, not the web UI's
    assert (
        client.get("/alice/dev/pkg", HTTP_ACCEPT=PIP_ACCEPT, **pip)["Content-Type"] == SIMPLE_JSON
    )


def test_status_answers_json_where_nothing_offered_is_acceptable(client, db):
    assert client.get("/+status", HTTP_ACCEPT="image/png")["Content-Type"] == JSON
    assert client.get("/+login", HTTP_ACCEPT="image/png").status_code == 405


# -- the services refuse by themselves -----------------------------------------------------


def test_user_services_refuse_an_unauthorised_actor(alice, bob):
    with pytest.raises(Forbidden):
        users.user_modify(user=alice, data={"email": "x@example.org"}, actor=bob)
    with pytest.raises(Forbidden):
        users.user_modify(user=alice, data={"email": "x@example.org"}, actor=None)
    with pytest.raises(Forbidden):
        users.user_delete(user=alice, actor=bob)
    assert get_user_model().objects.filter(username="alice").exists()


def test_user_create_refused_where_restricted(settings, alice):
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": ["root"]}
    with pytest.raises(Forbidden):
        users.user_create(username="carol", data={"password": "x"}, actor=alice)
    assert not get_user_model().objects.filter(username="carol").exists()


def test_index_services_refuse_an_unauthorised_actor(alice, bob):
    with pytest.raises(Forbidden):
        index_services.index_create(owner=alice, name="dev", data={}, actor=bob)
    dev = stage(alice, "dev")
    with pytest.raises(Forbidden):
        index_services.index_modify(index=dev, data=["title=x"], actor=None)
    with pytest.raises(Forbidden):
        index_services.index_delete(index=dev, actor=bob)
    assert Index.objects.filter(pk=dev.pk).exists()


def test_removal_services_refuse_an_unauthorised_actor(alice, bob):
    dev = stage(alice, "dev")
    release(dev)
    with pytest.raises(Forbidden):
        removal.release_delete(index=dev, project="pkg", version="1.0", actor=bob)
    with pytest.raises(Forbidden):
        removal.project_delete(index=dev, project="pkg", actor=None)
    assert Release.objects.filter(project__index=dev).exists()


def test_yank_refuses_an_unauthorised_actor(alice, bob):
    row = release(stage(alice, "dev"))
    with pytest.raises(Forbidden, match="no permission to modify pkg 1.0 on alice/dev"):
        yank.release_yank(release=row, yanked="broken", actor=bob)
    with pytest.raises(Forbidden):
        yank.release_yank(release=row, yanked=True, actor=None)
    row.refresh_from_db()
    assert not row.yanked
    assert yank.release_yank(release=row, yanked="broken", actor=alice).yanked
    assert not yank.release_yank(release=row, yanked=False, actor=SERVER).yanked


def test_project_status_refuses_an_unauthorised_actor(alice, bob):
    dev = stage(alice, "dev")
    with pytest.raises(Forbidden):
        project_status.project_status_set(
            index=dev, project="pkg", data={"status": "archived"}, user=bob
        )
    with pytest.raises(Unauthorized):
        project_status.project_status_set(
            index=dev, project="pkg", data={"status": "archived"}, user=None
        )
    row = project_status.project_status_set(
        index=dev, project="pkg", data={"status": "archived"}, user=alice
    )
    assert row.status == "archived"
