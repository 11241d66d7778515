"""The real devpi-client (7.x, in its own venv) against devpi-django: the
seeds' quickstart and user-manual flows, command by command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .factories import make_project_tree

pytestmark = [pytest.mark.live, pytest.mark.slow_client]

TOX_INI = """[tox]
envlist = py
[testenv]
commands = python -m unittest discover -s {toxinidir}/tests -v
"""
PASSING = "import unittest\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n        pass\n"
FAILING = (
    "import unittest\n\nclass T(unittest.TestCase):\n    def test_bad(self):\n"
    "        self.assertEqual(1, 2)\n"
)


def project(tmp_path: Path, name: str, version: str, test_body: str) -> Path:
    tree = make_project_tree(tmp_path / f"{name}-{version}", name, version, test_body=test_body)
    (tree / "tox.ini").write_text(TOX_INI)
    (tree / "MANIFEST.in").write_text("include tox.ini\nrecursive-include tests *.py\n")
    return tree


def test_quickstart_flow(live_server_proc, devpi, tmp_path, unique):
    s = live_server_proc
    user = f"testuser{unique}"
    out = devpi("use", s.url).stdout
    assert f"using server: {s.url}/" in out and "not logged in" in out
    assert "user created" in devpi("user", "-c", user, "password=").stdout
    assert f"logged in '{user}'" in devpi("login", user, "--password=").stdout
    created = devpi("index", "-c", "dev", "bases=root/pypi").stdout
    assert "type=stage" in created and "bases=root/pypi" in created
    assert (
        f"current devpi index: {s.url}/{user}/dev (logged in as {user})"
        in devpi("use", f"{user}/dev").stdout
    )
    # upload builds sdist and wheel of the example project
    example = project(tmp_path, f"example{unique}", "1.0", PASSING)
    up = devpi("upload", "--no-isolation", cwd=example).stdout
    assert up.count("file_upload of") == 2
    listed = devpi("list", f"example{unique}").stdout.split()
    assert len(listed) == 2 and all(f"{s.url}/{user}/dev/+f/" in u for u in listed)
    # install through the index
    venv = tmp_path / "v"
    subprocess.run([devpi.bin_dir / "python", "-m", "venv", venv], check=True)
    devpi("install", "--venv", venv, f"example{unique}")
    assert (venv / "lib").exists()
    # a non-volatile staging index; the index commands use key=value operations
    staging = devpi("index", "-c", "staging", "volatile=False").stdout
    assert "volatile=False" in staging
    modified = devpi("index", f"{user}/dev", f"bases={user}/staging").stdout
    assert f"bases={user}/staging" in modified
    assert "volatile=False" in devpi("getjson", f"/{user}/staging").stdout.replace(
        '"volatile": false', "volatile=False"
    )
    # removal on the volatile dev index
    devpi("remove", "-y", f"example{unique}")
    gone = devpi("list", f"example{unique}", check=False)
    assert gone.returncode != 0 and "404" in gone.stdout + gone.stderr
    devpi("logoff")
    assert "not logged in" in devpi("use").stdout


def test_user_manual_flow(live_server_proc, devpi, tmp_path, unique):
    s = live_server_proc
    emilie, sophie = f"emilie{unique}", f"sophie{unique}"
    devpi("use", s.url)
    devpi("user", "-c", emilie, "password=1234", f"email={emilie}@example.com")
    devpi("user", "-c", sophie, "password=1234")
    users = devpi("user", "-l").stdout.split()
    assert emilie in users and sophie in users
    devpi("login", emilie, "--password=1234")
    devpi("index", "-c", "prod", "volatile=False")
    devpi("index", "-c", "dev", f"bases={emilie}/prod")
    devpi("use", f"{emilie}/dev")
    pysober = project(tmp_path, f"pysober{unique}", "0.2.0", PASSING)
    subprocess.run(
        [devpi.bin_dir / "python", "-m", "build", "--no-isolation", "--sdist", pysober],
        env=devpi.env,
        check=True,
        capture_output=True,
    )
    devpi("upload", "--from-dir", pysober / "dist")
    listed = devpi("list", f"pysober{unique}").stdout.split()
    assert len(listed) == 1 and f"/{emilie}/dev/+f/" in listed[0]
    # remove the version, then the project, then restore it from dist/
    assert "deleting release 0.2.0" in devpi("remove", "-y", f"pysober{unique}==0.2.0").stdout
    devpi("upload", "--from-dir", pysober / "dist")
    devpi("remove", "-y", f"pysober{unique}")
    assert devpi("list", f"pysober{unique}", check=False).returncode != 0
    devpi("upload", "--from-dir", pysober / "dist")
    # sophie bases her dev index on emilie's and sees the release through it
    devpi("logoff")
    devpi("login", sophie, "--password=1234")
    devpi("index", "-c", "dev")
    devpi("use", f"/{sophie}/dev")
    missing = devpi("list", f"pysober{unique}", check=False)
    assert missing.returncode != 0 and "404" in missing.stdout + missing.stderr
    devpi("index", f"/{sophie}/dev", f"bases=/{emilie}/dev")
    seen = devpi("list", f"pysober{unique}").stdout.split()
    assert len(seen) == 1 and f"/{emilie}/dev/+f/" in seen[0]
    # she can't remove what lives on another index (client 7's wording of the seed's
    # "not deleting anything")
    refused = devpi("remove", "-y", f"pysober{unique}==0.2.0", check=False)
    assert refused.returncode == 1
    assert "No releases or distributions found matching" in refused.stdout + refused.stderr
    assert devpi("list", f"pysober{unique}").stdout.split() == seen
