"""Fixtures of the mirror app's in-process tests: the local test upstream and
a mirror index over it (its ``mirror_cache_expiry`` from the test module's
``MIRROR_CACHE_EXPIRY``, default an hour)."""

import pytest
from django.contrib.auth import get_user_model

from indexes.services.indexes import index_create
from tests.upstream import start_upstream


@pytest.fixture
def upstream(tmp_path):
    up = start_upstream(tmp_path / "up")
    yield up
    up.stop()


@pytest.fixture
def mirror(request, upstream, blob_dir):
    owner = get_user_model().objects.create(username="owner")
    expiry = getattr(request.module, "MIRROR_CACHE_EXPIRY", 3600)
    return index_create(
        owner=owner,
        name="m",
        data={"type": "mirror", "mirror_url": upstream.url, "mirror_cache_expiry": expiry},
    )
