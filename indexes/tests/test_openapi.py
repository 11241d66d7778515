"""The OpenAPI document (/+openapi.json) and its docs page (/+api/docs/)."""

from __future__ import annotations

import importlib
from html.parser import HTMLParser

import pytest
from django.urls import re_path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from openapi_spec_validator import validate

from indexes.middleware import CONTENT_SECURITY_POLICY
from indexes.rest.base import DevpiView, SimplePageView
from indexes.rest.openapi import DOCS_CONTENT_SECURITY_POLICY
from indexes.rest.schema import ANNOTATIONS, VIEWS, DevpiSchemaGenerator

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_server")]


def test_the_document_is_a_valid_openapi_3_document(client):
    GENERATOR_STATS.reset()
    r = client.get("/+openapi.json")
    assert not GENERATOR_STATS, "drf-spectacular warned or failed (see the output)"
    assert r.status_code == 200
    assert r["Content-Type"] == "application/json"
    document = r.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "devpi-django"
    validate(document)
    validate_schema(document)
    assert "/+api" in document["paths"]
    assert "/+openapi.json" not in document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert schemes["devpiAuth"]["name"] == "X-Devpi-Auth"


def test_the_document_in_its_own_media_type(client):
    r = client.get("/+openapi.json", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.oai.openapi+json")


class Assets(HTMLParser):
    """The URLs a page loads, and whether it has inline script or style."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            if attrs.get("src"):
                self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag in ("img", "iframe") and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "style":
            self.inline.append("<style>")
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            self.inline.append(f"<{tag}> attribute")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append("<script> body")


def test_the_docs_page_loads_only_same_origin_assets(client):
    r = client.get("/+api/docs/")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/html")
    # the site's policy; images may be data: URLs too (Swagger UI's icons)
    assert r["Content-Security-Policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert DOCS_CONTENT_SECURITY_POLICY.replace(" data:", "") == CONTENT_SECURITY_POLICY
    assert "img-src 'self' data:;" in DOCS_CONTENT_SECURITY_POLICY
    page = Assets()
    page.feed(r.content.decode())
    assert page.inline == []
    assert len(page.urls) >= 4  # icon, two stylesheets, Swagger UI, its start script
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
    assert any(url.endswith("swagger-ui-bundle.js") for url in page.urls)
    assert any(url.endswith("openapi/swagger-ui-init.js") for url in page.urls)
    assert 'data-schema-url="/+openapi.json"' in r.content.decode()


# -- the contract's views, described before and after they become DRF views ----

ROUTES = {
    "RootView": r"^$",
    "LoginView": r"^\+login$",
    "StatusView": r"^\+status$",
    "UserView": r"^(?P<user>[^/+][^/]*)/?$",
    "IndexView": r"^(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)/?$",
    "ProjectView": r"^(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)/(?P<project>[^/+][^/]*)/?$",
    "VersionView": (
        r"^(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)/(?P<project>[^/+][^/]*)/(?P<version>[^/]+)/?$"
    ),
    "SimpleIndexView": r"^(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)/\+simple/?$",
    "SimpleProjectView": (
        r"^(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)/\+simple/(?P<project>[^/]+)/?$"
    ),
    "SimpleRefreshView": (
        r"^(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)/\+simple/(?P<project>[^/]+)/refresh$"
    ),
}


def _stand_in(name: str, methods: tuple[str, ...]) -> type:
    """A view with the contract's name and methods, for the views that are
    not DRF views yet."""
    base = SimplePageView if name.startswith("Simple") else DevpiView

    def handler(self, request, *args, **kwargs):
        raise AssertionError("never called")

    return type(name, (base,), dict.fromkeys(methods, handler))


def _contract_views(monkeypatch) -> dict[str, type]:
    views = {}
    for module_name, names in VIEWS.items():
        module = importlib.import_module(module_name)
        for name in names:
            view = getattr(module, name, None)
            if not isinstance(view, type):
                methods = tuple(ANNOTATIONS[name]())
                view = _stand_in(name, (*methods, "push") if name == "IndexView" else methods)
                monkeypatch.setattr(module, name, view, raising=False)
            views[name] = view
    return views


def test_every_view_of_the_contract_is_described(monkeypatch):
    views = _contract_views(monkeypatch)
    patterns = [re_path(regex, views[name].as_view()) for name, regex in ROUTES.items()]
    GENERATOR_STATS.reset()
    document = DevpiSchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "drf-spectacular warned or failed (see the output)"
    validate(document)
    paths = document["paths"]
    index = paths["/{user}/{index}/"]
    assert set(index) == {"get", "put", "patch", "delete", "post"}  # PUSH is under POST
    assert set(index["post"]["requestBody"]["content"]) == {
        "multipart/form-data",
        "application/json",
    }
    upload = document["components"]["schemas"]["UploadFormRequest"]["properties"]
    assert {":action", "name", "version", "content", "sha256_digest"} <= set(upload)
    assert {"400", "401", "403", "404", "409", "413"} <= set(index["post"]["responses"])
    answers = index["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/html"} <= set(answers)
    simple = paths["/{user}/{index}/+simple/{project}/"]["get"]["responses"]["200"]["content"]
    assert set(simple) == {
        "text/html",
        "application/vnd.pypi.simple.v1+html",
        "application/vnd.pypi.simple.v1+json",
    }
    error = paths["/{user}/"]["put"]["responses"]["409"]["content"]
    assert error["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    version = document["components"]["schemas"]["VersionData"]["properties"]
    assert "+links" in version
    assert paths["/+login"]["post"]["requestBody"]["content"]["application/json"]
    version_path = paths["/{user}/{index}/{project}/{version}/"]["get"]["parameters"]
    assert {p["name"]: p["description"] for p in version_path if p["in"] == "path"} == {
        "user": "a user name",
        "index": "an index name of that user",
        "project": "a project name (a non-normalised name redirects where pages are served)",
        "version": "a version of that project",
    }


@pytest.mark.parametrize("path", ["/+nosuch/dev/", "/+nosuch/", "/a/b/c/d/e/f/"])
def test_a_path_no_route_matches_is_devpis_404(client, path):
    # a path parameter outside its pattern (found by make test-api-fuzz)
    r = client.get(path, HTTP_ACCEPT="application/json")
    assert r.status_code == 404
    assert r["Content-Type"] == "application/json"
    assert r.json() == {"message": f"not found: {path}"}
    r = client.get(path)
    assert r.status_code == 404
    assert r["Content-Type"] == "text/plain; charset=utf-8"
