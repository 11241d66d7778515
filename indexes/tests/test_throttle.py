"""Failed-login throttling (indexes.throttle) and the client address it
counts against (indexes.proxies), through every login surface."""

from __future__ import annotations

import json

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client, RequestFactory

from indexes import throttle
from indexes.auth import check_password_credentials
from indexes.errors import TooManyRequests
from indexes.models import LoginFailure
from indexes.proxies import client_address, forwarded_client, is_trusted_proxy

from .conftest import JSON, api, create_user


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.DEVPI = {
        **settings.DEVPI,
        "LOGIN_FAILURE_LIMIT": 3,
        "LOGIN_ADDRESS_FAILURE_LIMIT": 5,
        "LOGIN_FAILURE_WINDOW": 900,
    }


def login(client, user, password, **extra):
    return client.post(
        "/+login",
        json.dumps({"user": user, "password": password}),
        content_type=JSON,
        HTTP_ACCEPT=JSON,
        **extra,
    )


def test_user_locked_after_limit_even_with_right_password(alice, bob):
    client = Client()
    for _ in range(3):
        assert login(client, "alice", "wrong").status_code == 401
    locked = login(client, "alice", "pw")
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 900
    assert "too many failed logins" in locked.json()["message"]
    # other users (same address, under its limit) are unaffected
    assert login(client, "bob", "pw").status_code == 200


def test_locked_user_is_not_hashed_and_not_counted_further(alice):
    for _ in range(3):
        assert check_password_credentials(None, "alice", "wrong", address="192.0.2.1") is None
    with pytest.raises(TooManyRequests):
        check_password_credentials(None, "alice", "pw", address="192.0.2.9")
    count = LoginFailure.objects.get(key=throttle.counters("alice", "")[0].key).count
    assert count == 3


def test_address_limit_covers_many_user_names(alice, bob):
    for n in range(5):
        assert check_password_credentials(None, f"guess{n}", "pw", address="192.0.2.1") is None
    with pytest.raises(TooManyRequests) as refused:
        check_password_credentials(None, "bob", "pw", address="192.0.2.1")
    assert "your address" in refused.value.message
    assert check_password_credentials(None, "bob", "pw", address="192.0.2.2") == bob


def test_success_clears_the_user_count_but_not_the_address_count(alice):
    for _ in range(2):
        check_password_credentials(None, "alice", "wrong", address="192.0.2.1")
    assert check_password_credentials(None, "alice", "pw", address="192.0.2.1") == alice
    for _ in range(2):
        check_password_credentials(None, "alice", "wrong", address="192.0.2.1")
    assert check_password_credentials(None, "alice", "pw", address="192.0.2.1") == alice
    # 4 failures from that address so far: one more locks the address
    check_password_credentials(None, "alice", "wrong", address="192.0.2.1")
    with pytest.raises(TooManyRequests):
        check_password_credentials(None, "alice", "pw", address="192.0.2.1")


def test_many_successful_logins_are_never_throttled(alice):
    client = Client()
    for _ in range(12):
        assert login(client, "alice", "pw").status_code == 200


def test_window_expiry_lifts_the_lock(alice, settings):
    settings.DEVPI = {**settings.DEVPI, "LOGIN_FAILURE_WINDOW": 1}
    for _ in range(3):
        check_password_credentials(None, "alice", "wrong", address="192.0.2.1")
    with pytest.raises(TooManyRequests):
        check_password_credentials(None, "alice", "pw", address="192.0.2.1")
    LoginFailure.objects.update(expires="2000-01-01T00:00:00Z")
    assert check_password_credentials(None, "alice", "pw", address="192.0.2.1") == alice


def test_cache_store_counts_like_the_database_store(alice, settings):
    cache = LocMemCache("throttle-test", {})
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle-test",
        },
    }
    for _ in range(3):
        check_password_credentials(None, "alice", "wrong", address="192.0.2.1")
    assert not LoginFailure.objects.exists()
    with pytest.raises(TooManyRequests) as refused:
        check_password_credentials(None, "alice", "pw", address="192.0.2.1")
    assert 0 < refused.value.retry_after <= 900
    cache.clear()


def test_basic_auth_counts_and_is_throttled(alice):
    client = Client()
    for _ in range(3):  # wrong credentials on a GET: anonymous, as devpi
        r = client.get("/+api", **api("alice", "wrong"))
        assert r.status_code == 200
        assert r.json()["result"]["authstatus"][0] == "noauth"
    r = client.get("/+api", **api("alice", "pw"))
    assert r.status_code == 429
    assert "Retry-After" in r


def test_token_logins_are_not_passwords(alice):
    client = Client()
    token = login(client, "alice", "pw").json()["result"]["password"]
    for _ in range(3):
        login(client, "alice", "wrong")
    r = client.get("/+api", **api("alice", token))
    assert r.json()["result"]["authstatus"] == ["ok", "alice", []]


def test_web_login_form_is_throttled(alice):
    client = Client()
    for _ in range(3):
        assert client.post("/+login", {"username": "alice", "password": "x"}).status_code == 400
    r = client.post("/+login", {"username": "alice", "password": "pw"})
    assert r.status_code == 429
    assert "Retry-After" in r
    assert b"Too many failed logins" in r.content
    assert "_auth_user_id" not in client.session


def test_admin_login_is_throttled(db):
    create_user("root", "rootpw", superuser=True)
    client = Client()
    for _ in range(3):
        r = client.post("/+admin/login/", {"username": "root", "password": "x"})
        assert r.status_code == 200 and b"errornote" in r.content
    r = client.post("/+admin/login/", {"username": "root", "password": "rootpw"})
    assert r.status_code == 429
    assert "Retry-After" in r
    assert "_auth_user_id" not in client.session


def test_admin_login_still_works(db):
    create_user("root", "rootpw", superuser=True)
    client = Client()
    r = client.post("/+admin/login/", {"username": "root", "password": "rootpw"})
    assert r.status_code == 302
    assert client.get("/+admin/").status_code == 200


def test_password_change_checks_are_throttled(alice):
    client = Client()
    client.force_login(alice)
    for _ in range(3):
        r = client.post(
            "/alice/+settings",
            {"email": "", "current_password": "x", "new_password": "n", "new_password_again": "n"},
        )
        assert r.status_code == 400
    r = client.post(
        "/alice/+settings",
        {"email": "", "current_password": "pw", "new_password": "n", "new_password_again": "n"},
    )
    assert r.status_code == 429
    alice.refresh_from_db()
    assert alice.check_password("pw")


# -- client addresses ------------------------------------------------------------


def test_forwarded_for_is_read_from_the_right(settings):
    settings.DEVPI = {**settings.DEVPI, "TRUSTED_PROXIES": ["127.0.0.1", "10.0.0.0/8"]}
    assert forwarded_client("127.0.0.1", "203.0.113.5") == "203.0.113.5"
    # the client wrote the left part: only the hop our proxy added counts
    assert forwarded_client("127.0.0.1", "1.2.3.4, 203.0.113.5") == "203.0.113.5"
    assert forwarded_client("127.0.0.1", "1.2.3.4, 203.0.113.5, 10.1.1.1") == "203.0.113.5"
    assert forwarded_client("127.0.0.1", "1.2.3.4, junk") == "127.0.0.1"
    assert is_trusted_proxy("::ffff:127.0.0.1")
    assert not is_trusted_proxy("127.0.0.2")
    assert not is_trusted_proxy("not an address")


def test_untrusted_peers_cannot_choose_their_address(settings):
    settings.DEVPI = {**settings.DEVPI, "TRUSTED_PROXIES": ["127.0.0.1"]}
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_address(spoofed) == "198.51.100.7"
    proxied = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_address(proxied) == "203.0.113.5"


def test_proxy_headers_dropped_from_untrusted_peers(settings, alice):
    settings.DEVPI = {**settings.DEVPI, "TRUSTED_PROXIES": ["127.0.0.1"]}
    client = Client()
    r = client.get(
        "/+api",
        HTTP_ACCEPT=JSON,
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_OUTSIDE_URL="https://evil.example",
    )
    assert r.json()["result"]["login"] == "http://testserver/+login"
    r = client.get(
        "/+api",
        HTTP_ACCEPT=JSON,
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_OUTSIDE_URL="https://devpi.example",
    )
    assert r.json()["result"]["login"] == "https://devpi.example/+login"


def test_redis_store_counts_across_clients(alice, settings):
    """The store used with REDIS_URL: Redis' INCR, shared by every worker."""
    import os
    import uuid

    from django.core.cache import caches

    location = os.environ.get("DEVPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
        },
    }
    name, address = f"nobody-{uuid.uuid4().hex}", f"192.0.2.{uuid.uuid4().int % 250}"
    try:
        for _ in range(3):
            assert check_password_credentials(None, name, "x", address=address) is None
        with pytest.raises(TooManyRequests) as refused:
            check_password_credentials(None, name, "x", address="198.51.100.1")
        assert 890 <= refused.value.retry_after <= 900
        assert not LoginFailure.objects.exists()
        store = throttle.CacheStore(caches["throttle"])
        assert store.get(throttle.counters(name, "")[0].key)[0] == 3
    finally:
        store = throttle.CacheStore(caches["throttle"])
        for counter in throttle.counters(name, address):
            store.clear(counter.key)


def test_expired_tokens_are_not_counted_as_password_guesses(alice, settings):
    client = Client()
    token = login(client, "alice", "pw").json()["result"]["password"]
    settings.DEVPI = {**settings.DEVPI, "LOGIN_EXPIRATION": -1}
    for _ in range(5):  # pip retrying with an expired token in its URL
        r = client.get("/+api", **api("alice", token))
        assert r.json()["result"]["authstatus"][0] == "noauth"
    assert not LoginFailure.objects.exists()
    settings.DEVPI = {**settings.DEVPI, "LOGIN_EXPIRATION": 36000}
    assert login(client, "alice", "pw").status_code == 200


# -- authentication backends ------------------------------------------------------


class DirectoryBackend:
    """A stand-in for an LDAP backend: knows one user, creates it on login."""

    def authenticate(self, request, username=None, password=None):
        from django.contrib.auth import get_user_model

        if username == "carol" and password == "directory-pw":
            return get_user_model().objects.get_or_create(username="carol")[0]
        return None

    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(pk=user_id).first()


def test_other_backends_plug_in(db, settings):
    settings.AUTHENTICATION_BACKENDS = [
        "indexes.tests.test_throttle.DirectoryBackend",
        "indexes.backends.CachedModelBackend",
    ]
    client = Client()
    r = login(client, "carol", "directory-pw")
    assert r.status_code == 200
    token = r.json()["result"]["password"]
    assert client.get("/+api", **api("carol", token)).json()["result"]["authstatus"][:2] == [
        "ok",
        "carol",
    ]
    assert client.get("/+api", **api("carol", "directory-pw")).json()["result"]["authstatus"][
        :2
    ] == ["ok", "carol"]
    for _ in range(3):
        assert login(client, "carol", "wrong").status_code == 401
    assert login(client, "carol", "directory-pw").status_code == 429


def test_the_default_backend_keeps_the_credential_cache(alice, monkeypatch):
    from django.contrib.auth import get_user_model

    calls = []
    original = get_user_model().check_password

    def counting(self, raw):
        calls.append(raw)
        return original(self, raw)

    monkeypatch.setattr(get_user_model(), "check_password", counting)
    for _ in range(3):
        assert check_password_credentials(None, "alice", "pw", address="192.0.2.1") == alice
    assert len(calls) <= 1
