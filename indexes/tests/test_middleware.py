"""Every reply's headers, in order, as the middleware chain leaves them
(``indexes.middleware.ResponseHeadersMiddleware`` and
``indexes.browser.BrowserMiddleware``): the same as when Django's security,
CSRF, session, message and X-Frame-Options middlewares and ours were layers
of their own. And Django's checks of those middlewares, run for ours
(``indexes/checks.py``)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import checks
from django.test import Client
from django.utils.http import http_date

from devpi_django import __version__
from indexes.middleware import CONTENT_SECURITY_POLICY
from indexes.rest.openapi import DOCS_CONTENT_SECURITY_POLICY
from indexes.serverstate import API_VERSION, DEVPI_SERVER_COMPAT_VERSION, server_state

from .conftest import JSON, PIP_ACCEPT
from .test_download_path import put_wheel

pytestmark = pytest.mark.usefixtures("unrestricted")

RID = "fixed-request-id"
PIP = {"HTTP_ACCEPT": PIP_ACCEPT, "HTTP_USER_AGENT": "pip/26.0", "HTTP_X_REQUEST_ID": RID}
HTML = {"HTTP_ACCEPT": "text/html", "HTTP_X_REQUEST_ID": RID}
FRAME = [("X-Frame-Options", "DENY")]
NOSNIFF = [("X-Content-Type-Options", "nosniff")]
REFERRER_COOP = [("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]
SECURITY = NOSNIFF + REFERRER_COOP + [("Content-Security-Policy", CONTENT_SECURITY_POLICY)]
HTML_TYPE = [("Content-Type", "text/html; charset=utf-8")]
IMMUTABLE = ("Cache-Control", "max-age=365000000, immutable, public")


def devpi_headers() -> list[tuple[str, str]]:
    uuid, serial = server_state()
    return [
        ("X-Devpi-Api-Version", API_VERSION),
        ("X-Devpi-Server-Version", DEVPI_SERVER_COMPAT_VERSION),
        ("X-Devpi-Django-Version", __version__),
        ("X-Devpi-Uuid", uuid),
        ("X-Devpi-Serial", str(serial)),
        ("X-Request-ID", RID),
    ]


def headers(response) -> list[tuple[str, str]]:
    return list(response.headers.items())


def test_installer_replies(client, dev, tmp_path):
    file, wheel = put_wheel(client, tmp_path)
    tail = devpi_headers()
    page = client.get("/alice/dev/+simple/pkg/", HTTP_X_REQUEST_ID=RID)
    assert headers(page) == [
        *HTML_TYPE,
        ("ETag", page["ETag"]),  # the page's own
        ("Vary", "Accept, Accept-Encoding"),
        *FRAME,
        *SECURITY,
        *tail,
    ]
    page = client.get("/alice/dev/+simple/pkg/", **PIP)
    assert headers(page) == [
        ("Content-Type", "application/vnd.pypi.simple.v1+json"),
        ("ETag", page["ETag"]),
        ("Vary", "Accept, Accept-Encoding"),
        *FRAME,
        *SECURITY,
        *tail,
    ]
    url = f"/alice/dev/+f/{file.hash_path}"
    # the file's own nosniff stays where the view put it
    assert headers(client.get(url, **PIP)) == [
        ("Content-Type", "application/zip"),
        ("Content-Length", str(wheel.stat().st_size)),
        ("Content-Disposition", f'attachment; filename="{wheel.name}"'),
        ("ETag", f'"{file.sha256}"'),
        ("Last-Modified", http_date(file.uploaded_at.timestamp())),
        IMMUTABLE,
        *NOSNIFF,
        *FRAME,
        *SECURITY[1:],
        *tail,
    ]
    assert headers(client.get(url + ".metadata", **PIP)) == [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(file.core_metadata))),
        ("ETag", f'"{file.core_metadata_sha256}"'),
        IMMUTABLE,
        *NOSNIFF,
        ("Content-Disposition", f'attachment; filename="{wheel.name}.metadata"'),
        *FRAME,
        *SECURITY[1:],
        *tail,
    ]
    missing = client.get("/alice/dev/+simple/nope/", **PIP)
    assert missing.status_code == 404
    assert headers(missing) == [
        ("Content-Type", "text/plain; charset=utf-8"),
        *FRAME,
        *SECURITY,
        *tail,
    ]


def test_api_replies(client, dev):
    tail = devpi_headers()
    api = client.get("/+api", HTTP_ACCEPT=JSON, HTTP_X_REQUEST_ID=RID)
    assert headers(api) == [("Content-Type", "application/json"), *FRAME, *SECURITY, *tail]
    refused = client.get("/+login", HTTP_ACCEPT=JSON, HTTP_X_REQUEST_ID=RID)
    assert refused.status_code == 405
    assert headers(refused) == [
        ("Content-Type", "application/json"),
        ("Allow", "GET, POST, HEAD"),
        *FRAME,
        *SECURITY,
        *tail,
    ]
    # the API docs page sets its own policy and COOP (Swagger UI), kept
    docs = client.get("/+api/docs/", HTTP_X_REQUEST_ID=RID)
    assert headers(docs) == [
        *HTML_TYPE,
        ("Cross-Origin-Opener-Policy", "unsafe-none"),
        ("Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY),
        ("Allow", "GET, HEAD, OPTIONS"),
        *FRAME,
        *NOSNIFF,
        ("Referrer-Policy", "same-origin"),
        *tail,
    ]


def test_browser_replies(client, dev):
    tail = devpi_headers()
    # the session is read: Vary after X-Frame-Options, as the session
    # middleware (outside the X-Frame-Options one) added it
    page = client.get("/alice/dev", **HTML)
    assert headers(page) == [*HTML_TYPE, *FRAME, ("Vary", "Cookie"), *SECURITY, *tail]
    login = client.post("/+login", {"username": "alice", "password": "pw"}, HTTP_X_REQUEST_ID=RID)
    assert login.status_code == 302
    assert headers(login) == [
        *HTML_TYPE,
        ("Location", "/alice"),
        ("Vary", "Cookie"),
        *FRAME,
        *SECURITY,
        *tail,
    ]
    assert sorted(login.cookies) == ["csrftoken", "sessionid"]
    # the admin has no X-Devpi headers
    admin = Client().get("/+admin/login/", HTTP_X_REQUEST_ID=RID)
    assert headers(admin) == [
        *HTML_TYPE,
        ("Expires", admin["Expires"]),
        ("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private"),
        ("Vary", "Cookie"),
        *FRAME,
        *SECURITY,
        ("X-Request-ID", RID),
    ]
    assert list(admin.cookies) == ["csrftoken"]


def test_static_files_have_no_frame_options(client, db):
    # WhiteNoise answers before the X-Frame-Options layer, as it always did
    style = client.get("/+static/devpi/style.css", HTTP_X_REQUEST_ID=RID)
    assert style.status_code == 200
    names = [name for name, _ in headers(style)]
    assert "X-Frame-Options" not in names and "X-Devpi-Serial" not in names
    assert headers(style)[-5:] == [*SECURITY, ("X-Request-ID", RID)]


def test_https_settings(client, settings, dev):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_PRELOAD = True
    settings.X_FRAME_OPTIONS = "sameorigin"
    redirect = client.get("/+api?x=1", HTTP_ACCEPT=JSON, HTTP_X_REQUEST_ID=RID)
    assert redirect.status_code == 301
    # no X-Frame-Options: Django's redirect answers before that layer
    assert headers(redirect) == [
        *HTML_TYPE,
        ("Location", "https://testserver/+api?x=1"),
        *SECURITY,
        *devpi_headers(),
    ]
    secure = client.get(
        "/+api", HTTP_ACCEPT=JSON, HTTP_X_REQUEST_ID=RID, HTTP_X_FORWARDED_PROTO="https"
    )
    assert headers(secure) == [
        ("Content-Type", "application/json"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Strict-Transport-Security", "max-age=3600; preload"),
        *SECURITY,
        *devpi_headers(),
    ]
    # a Host the redirect cannot use: Django's 400, with the policy only
    bad = client.get("/+api", HTTP_HOST="elsewhere.invalid", HTTP_X_REQUEST_ID=RID)
    assert bad.status_code == 400
    assert headers(bad) == [
        *HTML_TYPE,
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        *devpi_headers(),
    ]


def _ids() -> list[str]:
    silenced = set(settings.SILENCED_SYSTEM_CHECKS)
    return [
        message.id
        for message in checks.run_checks(include_deployment_checks=True)
        if message.id is not None and message.id not in silenced
    ]


def test_django_checks_run_for_our_middlewares(settings):
    settings.SECURE_HSTS_SECONDS = 0
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    ids = _ids()
    # the settings of the middlewares ours stand for are checked...
    assert {"security.W004", "security.W019", "security.W016"} <= set(ids)
    # ... and nothing is said to be missing
    assert not [i for i in ids if i.startswith("devpi.") or i in ("admin.E408", "security.W001")]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("BrowserMiddleware")]
    assert {"devpi.admin.E408", "devpi.security.W002", "devpi.security.W003"} <= set(_ids())
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if not m.endswith("ResponseHeadersMiddleware")
    ]
    assert "devpi.security.W001" in _ids()
