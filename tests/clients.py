"""Real clients (pip, uv, twine) run as subprocesses against a test server: one
way to run each, with their output in the assertion message when they fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PY = sys.executable


def run(
    cmd, env, cwd=None, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def pip(env, *args, check: bool = True) -> subprocess.CompletedProcess:
    return run([PY, "-m", "pip", *args], env, check=check)


def pip_download(
    env, index_url: str, *reqs: str, dest: Path, check: bool = True
) -> subprocess.CompletedProcess:
    """``pip download --no-deps`` of ``reqs`` from ``index_url`` into ``dest``."""
    return pip(env, "download", "--no-deps", "-d", dest, "-i", index_url, *reqs, check=check)


def twine(
    env,
    url: str,
    files,
    user: str,
    password: str,
    check: bool = True,
    extra=(),
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """``twine upload`` of ``files`` to the index at ``url``."""
    return run(
        [
            PY,
            "-m",
            "twine",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            url,
            "-u",
            user,
            "-p",
            password,
            *extra,
            *files,
        ],
        env,
        check=check,
        timeout=timeout,
    )


def uv_install(
    env, python, index_url: str, name: str, check: bool = True
) -> subprocess.CompletedProcess:
    """``uv pip install --reinstall`` of ``name`` from ``index_url`` into the
    environment of the interpreter ``python``."""
    return run(
        [
            PY,
            "-m",
            "uv",
            "pip",
            "install",
            "--python",
            python,
            "--reinstall",
            "--index-url",
            index_url,
            name,
        ],
        env,
        check=check,
    )
