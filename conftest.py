"""Shared pytest set-up: fast password hashing for in-process tests."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_order_cache():
    """Rolled-back tests reuse serials, which the per-process order cache
    trusts (in a running server the serial only grows)."""
    from indexes import project_status, resolution

    resolution._ORDERS.clear()
    project_status._TABLE.clear()
    yield
    resolution._ORDERS.clear()
    project_status._TABLE.clear()


@pytest.fixture
def blob_dir(settings, tmp_path):
    """Blob storage in a per-test directory."""
    from django.core.files.storage import storages

    location = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "blobs": {"BACKEND": "indexes.storage.AtomicFileSystemStorage",
                  "OPTIONS": {"location": str(location)}},
    }
    storages._storages = {}
    yield location
    storages._storages = {}
