"""The client app's tests: the users and indexes are ``tests/fixtures.py``'s
(the root conftest's plugin); every test starts with an empty cache."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache):
    """Every test starts with an empty cache (``tests.fixtures.fresh_cache``)."""
