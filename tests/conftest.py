"""Fixtures of the tests in this tree: the live servers, a local upstream,
and the real devpi-client (``devpi``), which several modules drive."""

import subprocess
import uuid
from pathlib import Path

import pytest

from .clientvenv import DEVPI_CLIENT_REQUIREMENTS, client_venv
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


@pytest.fixture(scope="module")
def other_server():
    """A second devpi-django server (the external index of a push)."""
    server, cleanup = start_server(workers=1)
    try:
        yield server
    finally:
        cleanup()


class Devpi:
    def __init__(self, bin_dir: Path, env: dict, cwd: Path):
        self.bin_dir, self.env, self.cwd = bin_dir, env, cwd

    def __call__(self, *args, check=True, cwd=None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(self.bin_dir / "devpi"), *map(str, args)],
            env=self.env,
            cwd=cwd or self.cwd,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"devpi {' '.join(map(str, args))} failed "
                f"({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc


@pytest.fixture(scope="module")
def devpi_bin():
    """The bin directory of the real devpi-client's venv (test modules that
    need another program's define their own ``devpi_bin``)."""
    return client_venv("devpi-client", DEVPI_CLIENT_REQUIREMENTS)


@pytest.fixture
def devpi(devpi_bin, tmp_path):
    """Runs the real devpi-client with a HOME of the test's own."""
    home = tmp_path / "home"
    env = client_env(home)
    env["PATH"] = f"{devpi_bin}:{env['PATH']}"
    env.pop("PIP_CONFIG_FILE", None)  # devpi-client writes its own pip settings under HOME
    env["PIP_NO_INDEX"] = "0"
    return Devpi(devpi_bin, env, tmp_path)
