"""Login tokens, X-Devpi-Auth and Basic auth: who is asking."""

import base64

import pytest

from indexes.auth import (
    authenticate,
    password_check,
    token_create,
    token_user,
    user_by_password,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_token_round_trip(alice):
    token = token_create(alice)
    assert token.count(".") == 2
    assert token_user("alice", token) == alice


def test_token_is_bound_to_its_user(alice, bob):
    assert token_user("bob", token_create(alice)) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t + ".x",
        lambda t: "",
        lambda t: "pw",
        lambda t: "a.b.c",
    ],
)
def test_tampered_tokens(alice, mangle):
    assert token_user("alice", mangle(token_create(alice))) is None


def test_expired_token(alice, settings):
    token = token_create(alice)
    settings.DEVPI = {**settings.DEVPI, "LOGIN_EXPIRATION": -1}
    assert token_user("alice", token) is None


def test_token_dies_with_the_password(alice):
    token = token_create(alice)
    alice.set_password("changed")
    alice.save()
    assert token_user("alice", token) is None
    assert token_user("alice", token_create(alice)) == alice


def test_token_of_an_inactive_user(alice):
    token = token_create(alice)
    alice.is_active = False
    alice.save()
    assert token_user("alice", token) is None


def test_password_check(alice):
    assert password_check(alice, "pw")
    assert password_check(alice, "pw")  # remembered
    assert not password_check(alice, "wrong")
    alice.set_password("new")
    alice.save()
    assert not password_check(alice, "pw")  # the cache does not outlive the password
    assert password_check(alice, "new")
    alice.set_unusable_password()
    assert not password_check(alice, "new")


def test_user_by_password(alice):
    assert user_by_password("alice", "pw") == alice
    assert user_by_password("alice", "x") is None
    assert user_by_password("nobody", "pw") is None


def test_authenticate_with_x_devpi_auth(alice):
    token = token_create(alice)
    assert authenticate({"X-Devpi-Auth": b64(f"alice:{token}")}) == alice


def test_authenticate_with_basic_password_or_token(alice):
    assert authenticate({"Authorization": "Basic " + b64("alice:pw")}) == alice
    assert authenticate({"Authorization": "basic " + b64("alice:pw")}) == alice
    token = token_create(alice)
    assert authenticate({"Authorization": "Basic " + b64(f"alice:{token}")}) == alice


def test_a_password_containing_colons(db):
    from .conftest import create_user

    user = create_user("carol", "a:b:c")
    assert authenticate({"Authorization": "Basic " + b64("carol:a:b:c")}) == user


def test_invalid_x_devpi_auth_falls_back_to_basic(alice):
    headers = {
        "X-Devpi-Auth": b64("alice:not-a-token"),
        "Authorization": "Basic " + b64("alice:pw"),
    }
    assert authenticate(headers) == alice


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Devpi-Auth": "%%% not base64"},
        {"X-Devpi-Auth": b64("no colon here")},
        {"X-Devpi-Auth": b64("alice:pw")},  # a password is no token
        {"Authorization": "Basic " + b64("alice:wrong")},
        {"Authorization": "Basic"},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer " + b64("alice:pw")},
        {"Authorization": "Basic " + b64("nobody:pw")},
    ],
)
def test_anonymous(alice, headers):
    assert authenticate(headers) is None


def test_latin1_credentials(db):
    from .conftest import create_user

    user = create_user("carol", "pässword")
    value = base64.b64encode("carol:pässword".encode("latin-1")).decode()
    assert authenticate({"Authorization": "Basic " + value}) == user
