"""schemathesis over the whole OpenAPI document (/+openapi.json) of a live
server (gunicorn), anonymously and as a user: no server error, and every
status code and media type one the document states.

Not part of ``make test`` (marker ``api_fuzz``): ``make test-api-fuzz`` runs
it. A user with an index and a release exists first, and the path parameters
name them, so the requests reach real data as well as its absence (the
generated bodies and queries do the rest). Fixed seed, bounded examples.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from .factories import make_wheel
from .live import ROOT_PASSWORD, VENV_BIN

pytestmark = [pytest.mark.api_fuzz, pytest.mark.live]

USER, PASSWORD, INDEX, PROJECT, VERSION = "fuzz", "fuzz-secret", "dev", "fuzzpkg", "1.0"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"
SEED = "1"
MAX_EXAMPLES = "50"

# the path parameters name the data most of the time, and are generated
# (absent names, names outside the routes' patterns) the rest
CONFIG = f"""\
[dictionaries]
user = {{ values = ["{USER}"] }}
index = {{ values = ["{INDEX}"] }}
project = {{ values = ["{PROJECT}"] }}
version = {{ values = ["{VERSION}"] }}

[parameters]
"path.user" = {{ dictionary = "user", probability = 0.8 }}
"path.index" = {{ dictionary = "index", probability = 0.8 }}
"path.project" = {{ dictionary = "project", probability = 0.8 }}
"path.version" = {{ dictionary = "version", probability = 0.8 }}
"""


@pytest.fixture(scope="module")
def fuzz_server(live_server_proc, tmp_path_factory):
    """The live server with a user, an index and a release on it."""
    server = live_server_proc
    server.create_user(USER, PASSWORD)
    server.create_index(USER, INDEX, PASSWORD)
    wheel = make_wheel(tmp_path_factory.mktemp("dist"), PROJECT, VERSION)
    r = requests.post(
        f"{server.url}/{USER}/{INDEX}/",
        auth=(USER, PASSWORD),
        data={":action": "file_upload", "name": PROJECT, "version": VERSION},
        files={"content": (wheel.name, wheel.read_bytes())},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return server


def schemathesis(server, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(VENV_BIN / "schemathesis"),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{server.url}/+openapi.json",
        "--checks",
        CHECKS,
        "--seed",
        SEED,
        "--max-examples",
        MAX_EXAMPLES,
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "report"),
        *extra,
    ]
    proc = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    sys.stdout.write(proc.stdout[-20000:])
    sys.stderr.write(proc.stderr[-5000:])
    return proc


def test_anonymous_requests_conform(fuzz_server, tmp_path):
    proc = schemathesis(fuzz_server, tmp_path)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]


def test_authenticated_requests_conform(fuzz_server, tmp_path):
    # as root (Basic): every write is allowed, and root's own password stays
    # (the generated PATCH /fuzz changes fuzz's: its credentials would then
    # fail, and soon be locked out with 429s)
    proc = schemathesis(fuzz_server, tmp_path, "--auth", f"root:{ROOT_PASSWORD}")
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]
