"""Where the server is and how a command authenticates to it over HTTP
(``install`` and ``test``): a short-lived login token of the acting user,
as ``X-Devpi-Auth`` for API requests and in the URLs pip and tox use."""

from __future__ import annotations

import base64
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings

from devpi_django import env
from indexes.auth import token_create


def server_url() -> str:
    """``DEVPI_OUTSIDE_URL``, else ``http://DEVPI_HOST:DEVPI_PORT`` (a
    wildcard listen address becomes the loopback address)."""
    configured = settings.DEVPI.get("OUTSIDE_URL")
    if configured:
        return configured.rstrip("/")
    host = env.HOST or "127.0.0.1"
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{env.PORT}"


def index_url(fullname: str) -> str:
    return f"{server_url()}/{fullname}"


def simple_url(fullname: str) -> str:
    return f"{server_url()}/{fullname}/+simple/"


def with_credentials(url: str, username: str, secret: str) -> str:
    """``url`` with ``username:secret@`` in it (pip and tox send it as Basic auth)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(username, safe='')}:{quote(secret, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def masked(url: str) -> str:
    """A URL with its password replaced by ``****``, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{host}"))


class Credentials:
    """A login token for ``user``, made once per command."""

    def __init__(self, user):
        self.username = user.username
        self.token = token_create(user)

    def headers(self) -> dict[str, str]:
        pair = f"{self.username}:{self.token}".encode()
        return {"X-Devpi-Auth": base64.b64encode(pair).decode()}

    def url(self, url: str) -> str:
        return with_credentials(url, self.username, self.token)
