"""Password hashers: devpi's argon2 first, so hashes stay exportable to devpi-server."""

from __future__ import annotations

import argon2
from django.contrib.auth.hashers import get_hasher, identify_hasher

from devpi_django import settings as project_settings
from indexes.hashers import DevpiArgon2PasswordHasher

# devpi-server 6.20.3 hashes with passlib on argon2-cffi's defaults (RFC 9106, low memory)
DEVPI_SERVER_HASHER = argon2.PasswordHasher()


def test_devpi_argon2_is_the_first_hasher_of_the_deployment():
    assert project_settings.PASSWORD_HASHERS[0] == "indexes.hashers.DevpiArgon2PasswordHasher"
    # it replaces Django's own argon2 hasher (same algorithm name), never both
    assert (
        "django.contrib.auth.hashers.Argon2PasswordHasher" not in project_settings.PASSWORD_HASHERS
    )


def test_new_hashes_are_what_devpi_server_writes_and_verifies(settings):
    settings.PASSWORD_HASHERS = ["indexes.hashers.DevpiArgon2PasswordHasher"]
    hasher = get_hasher()
    assert isinstance(hasher, DevpiArgon2PasswordHasher)
    encoded = hasher.encode("s3cret", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=65536,t=3,p=4$")
    phc = encoded[len("argon2") :]
    assert DEVPI_SERVER_HASHER.verify(phc, "s3cret")
    assert argon2.extract_parameters(phc).time_cost == DEVPI_SERVER_HASHER.time_cost
    assert argon2.extract_parameters(phc).memory_cost == DEVPI_SERVER_HASHER.memory_cost
    assert not hasher.must_update(encoded)


def test_devpi_server_hashes_are_kept_at_login(settings):
    """An imported devpi hash verifies and is not re-hashed (so it stays exportable)."""
    settings.PASSWORD_HASHERS = [
        "indexes.hashers.DevpiArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    encoded = "argon2" + DEVPI_SERVER_HASHER.hash("pw")
    hasher = identify_hasher(encoded)
    assert isinstance(hasher, DevpiArgon2PasswordHasher)
    assert hasher.verify("pw", encoded) and not hasher.verify("", encoded)
    assert not hasher.must_update(encoded)
    # a PBKDF2 hash (an older deployment of ours) is replaced by argon2 at the next login
    assert get_hasher("pbkdf2_sha256").must_update("pbkdf2_sha256$1$salt$hash")
