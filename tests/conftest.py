import uuid

import pytest

from .live import client_env, start_server
from .upstream import start_upstream


@pytest.fixture(scope="session")
def live_server_proc():
    server, cleanup = start_server()
    try:
        yield server
    finally:
        cleanup()


@pytest.fixture
def unique():
    """A short unique suffix, so tests sharing a server never collide."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def clients_env(tmp_path):
    return client_env(tmp_path / "home")


@pytest.fixture
def upstream(tmp_path):
    """A local test upstream index (tests/upstream.py), stopped after the test."""
    up = start_upstream(tmp_path / "upstream")
    try:
        yield up
    finally:
        up.stop()
