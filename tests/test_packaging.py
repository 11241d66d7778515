"""pyproject.toml and its locks: every requirement locked with hashes, the
runtime lock free of the test stack, the locks in step with the pins of
requirements*.txt (a pin added there without `make lock` fails here), and
no import of pip's internals."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .live import REPO

TEST_STACK = {
    "pytest",
    "pytest-django",
    "pytest-xdist",
    "selenium",
    "moto",
    "twine",
    "tox",
    "build",
    "sphinx",
    "uv",
}


def lock(name: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a lock written by `make lock`."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in (REPO / name).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)", line)
        if match:
            current = canonicalize_name(match.group(1))
            entries[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
    return entries


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (REPO / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        found[str(canonicalize_name(req.name))] = spec.version
    return found


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_every_requirement_is_locked_exactly_with_hashes():
    runtime, dev = lock("requirements.lock"), lock("requirements-dev.lock")
    groups = [(project()["dependencies"], (runtime, dev))]
    for extra in ("cli", "dev"):
        groups.append((project()["optional-dependencies"][extra], (dev,)))
    for requirements, locks in groups:
        for text in requirements:
            req = Requirement(text)
            (spec,) = req.specifier
            assert spec.operator == "==", text
            for locked in locks:
                version, hashes = locked[canonicalize_name(req.name)]
                assert version == spec.version, text
                assert hashes >= 1, text
    for locked in (runtime, dev):
        assert all(hashes >= 1 for _, hashes in locked.values())


def test_runtime_lock_is_the_runtime_only():
    runtime = lock("requirements.lock")
    assert not TEST_STACK & set(runtime)
    assert set(runtime) < set(lock("requirements-dev.lock"))


def test_locks_follow_the_pins_of_the_requirements_files():
    """requirements.txt / requirements-dev.txt hold the exact versions; the
    locks must hold the same ones, and every pinned package (else: add it
    to pyproject.toml when it is a direct dependency, then `make lock`)."""
    runtime, dev = lock("requirements.lock"), lock("requirements-dev.lock")
    for name, version in pins("requirements.txt").items():
        assert runtime.get(name, (None,))[0] == version, (name, version, "requirements.lock")
    for name, version in {**pins("requirements.txt"), **pins("requirements-dev.txt")}.items():
        assert dev.get(name, (None,))[0] == version, (name, version, "requirements-dev.lock")


def test_makefile_installs_from_the_locks():
    makefile = (REPO / "Makefile").read_text()
    assert "--require-hashes" in makefile
    assert "-r requirements.lock" in makefile and "-r requirements-dev.lock" in makefile
    assert "init: install-runtime" in makefile  # make serve: the runtime only
    assert re.search(r"^test: install\b", makefile, re.M)  # make test: the dev set
    assert "-r requirements-dev.txt" not in makefile.split("lock:")[0]
