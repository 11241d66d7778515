"""Login throttling against a real server: gunicorn with several workers,
real HTTP, every login surface (JSON /+login, the web form, Basic auth,
the admin login). The counters live in the database here (no REDIS_URL),
so they must hold across the workers; a bounded number of attempts."""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from .live import start_server

pytestmark = pytest.mark.live

USER_LIMIT = 5
ADDRESS_LIMIT = 8


@pytest.fixture(scope="module")
def server():
    server, cleanup = start_server(
        workers=3,
        extra_env={
            "DEVPI_LOGIN_FAILURE_LIMIT": str(USER_LIMIT),
            "DEVPI_LOGIN_ADDRESS_FAILURE_LIMIT": str(ADDRESS_LIMIT),
        },
    )
    try:
        yield server
    finally:
        cleanup()


def worker_cpu_ticks(master_pid: int) -> dict[int, int]:
    """utime+stime of each gunicorn worker (children of the master)."""
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            ticks[int(stat.parent.name)] = int(fields[11]) + int(fields[12])
    return ticks


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def json_login(server, user, password, address):
    return requests.post(
        f"{server.url}/+login",
        json={"user": user, "password": password},
        headers={"Accept": "application/json", "X-Forwarded-For": address},
        timeout=60,
    )


def form_login(server, path, fields, address):
    """A browser's login: the form's CSRF token first, then the POST."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    page = session.get(f"{server.url}{path}", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    r = session.post(
        f"{server.url}{path}",
        data={**fields, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{server.url}{path}"},
        allow_redirects=False,
        timeout=60,
    )
    return r, session


def test_failed_logins_lock_the_user_across_workers_and_surfaces(server, unique):
    alice, bob = f"alice{unique}", f"bob{unique}"
    server.create_user(alice, "right")
    server.create_user(bob, "right")
    token = server.token(alice, "right")
    address = "198.51.100.10"
    before = worker_cpu_ticks(server.process.pid)

    # USER_LIMIT failures through every surface, some at once so that
    # several workers take them
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: json_login(server, alice, "wrong", address), range(3)))
    assert [r.status_code for r in results] == [401] * 3
    r = requests.get(
        f"{server.url}/+api",
        headers={**basic(alice, "wrong"), "Accept": "application/json", "X-Forwarded-For": address},
        timeout=60,
    )
    assert r.status_code == 200  # wrong Basic credentials on a GET: anonymous, as devpi
    assert r.json()["result"]["authstatus"][0] == "noauth"
    r, _ = form_login(server, "/+login", {"username": alice, "password": "wrong"}, address)
    assert r.status_code == 400

    after = worker_cpu_ticks(server.process.pid)
    # a password hash costs tens of ticks of CPU; an idle worker next to none
    busy = [pid for pid in after if after[pid] - before.get(pid, 0) >= 10]
    assert len(busy) >= 2, (before, after)  # the count was kept by several workers

    # now: 429 with Retry-After, even with the right password, everywhere
    refused = [json_login(server, alice, "right", address) for _ in range(3)]
    refused.append(json_login(server, alice, "right", "203.0.113.77"))  # any address
    for r in refused:
        assert r.status_code == 429, r.text
        assert 0 < int(r.headers["Retry-After"]) <= 900
        assert "password" not in r.json().get("result", {})
    r = requests.get(
        f"{server.url}/{alice}",
        headers={**basic(alice, "right"), "Accept": "application/json"},
        timeout=60,
    )
    assert r.status_code == 429 and "Retry-After" in r.headers
    r, session = form_login(server, "/+login", {"username": alice, "password": "right"}, address)
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert "sessionid" not in session.cookies
    # a locked user's account is not changed by a password that got through
    r = requests.patch(
        f"{server.url}/{alice}",
        json={"email": "evil@example.com"},
        headers={**basic(alice, "right"), "Accept": "application/json"},
        timeout=60,
    )
    assert r.status_code == 429
    config = server.api("GET", f"/{alice}").json()["result"]
    assert config["email"] == f"{alice}@example.com"

    # a login token taken before is not a password: it keeps working
    r = server.api("GET", "/+api", headers=server.auth_headers(alice, "right"))
    assert r.json()["result"]["authstatus"][:2] == ["ok", alice]
    assert token

    # another user, from the same address, is unaffected
    assert json_login(server, bob, "right", address).status_code == 200


def test_the_admin_login_counts_and_is_locked(server, unique):
    address = "198.51.100.20"
    for _ in range(USER_LIMIT):
        r, _ = form_login(
            server, "/+admin/login/", {"username": "root", "password": "wrong"}, address
        )
        assert r.status_code == 200 and "errornote" in r.text
    r, session = form_login(
        server, "/+admin/login/", {"username": "root", "password": "root-secret"}, address
    )
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert "sessionid" not in session.cookies


def test_address_limit_across_user_names(server, unique):
    bob = f"bob{unique}"
    server.create_user(bob, "right")
    address = "198.51.100.30"
    with ThreadPoolExecutor(3) as pool:
        results = list(
            pool.map(
                lambda n: json_login(server, f"nobody{unique}{n}", "guess", address),
                range(ADDRESS_LIMIT),
            )
        )
    assert [r.status_code for r in results] == [401] * ADDRESS_LIMIT
    r = json_login(server, bob, "right", address)
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert "your address" in r.json()["message"]
    # the same user from another address is unaffected
    assert json_login(server, bob, "right", "198.51.100.31").status_code == 200


def test_x_forwarded_for_is_ignored_from_untrusted_peers(unique):
    """Nothing trusted: a client that varies X-Forwarded-For is still counted
    as its own (loopback) address; X-Outside-Url is ignored too."""
    server, cleanup = start_server(
        workers=2,
        extra_env={
            "DEVPI_TRUSTED_PROXIES": "192.0.2.1",
            "DEVPI_LOGIN_ADDRESS_FAILURE_LIMIT": "4",
        },
    )
    try:
        for n in range(4):
            r = json_login(server, f"nobody{n}", "guess", f"203.0.113.{n}")
            assert r.status_code == 401
        r = json_login(server, "root", "root-secret", "203.0.113.200")
        assert r.status_code == 429
        r = requests.get(
            f"{server.url}/+api",
            headers={"Accept": "application/json", "X-Outside-Url": "https://evil.example"},
            timeout=30,
        )
        assert r.json()["result"]["login"] == f"{server.url}/+login"
    finally:
        cleanup()
