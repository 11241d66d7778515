"""Shared pytest set-up: fast password hashing for in-process tests."""

import pytest

# users, indexes and settings fixtures shared by the test trees
pytest_plugins = ["tests.fixtures"]


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# local upstreams in tests live on loopback: allowed by name and address;
# attack tests aim at 127.0.0.2, which stays refused
TEST_ALLOW_PRIVATE_UPSTREAMS = ["127.0.0.1", "localhost", "::1"]


@pytest.fixture(autouse=True)
def _allow_local_upstreams(settings):
    settings.DEVPI = {**settings.DEVPI, "ALLOW_PRIVATE_UPSTREAMS": TEST_ALLOW_PRIVATE_UPSTREAMS}


@pytest.fixture(autouse=True)
def _fresh_order_cache():
    """Rolled-back tests reuse serials, which the per-process order cache
    trusts (in a running server the serial only grows)."""
    from indexes import filelookup, project_status, resolution

    resolution._ORDERS.clear()
    project_status._TABLE.clear()
    filelookup.clear_caches()
    yield
    resolution._ORDERS.clear()
    project_status._TABLE.clear()
    filelookup.clear_caches()


@pytest.fixture
def blob_dir(settings, tmp_path):
    """Blob storage in a per-test directory."""
    from django.core.files.storage import storages

    location = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {
            "BACKEND": "indexes.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    storages._storages = {}
    yield location
    storages._storages = {}
