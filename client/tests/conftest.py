"""The client app's tests use the users and the fresh-cache guard of the
``indexes`` tests (``indexes/tests/conftest.py``)."""

from indexes.tests.conftest import _fresh_cache, alice, bob, root  # noqa: F401
