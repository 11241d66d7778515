"""Isolated virtualenvs with third-party clients for the slow suites, built
once under build/ from pinned requirements and reused while they match."""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

from .live import REPO

DEVPI_CLIENT_REQUIREMENTS = [
    "devpi-client==7.3.0",
    "tox==4.67.15",
    "setuptools==84.2.1",
    "wheel==0.48.0",
    "build==1.6.1",
]


def client_venv(name: str, requirements: list[str]) -> Path:
    """The bin directory of a venv holding exactly these requirements."""
    stamp_value = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    root = REPO / "build" / f"{name}-venv"
    stamp = root / ".requirements-sha256"
    bin_dir = root / "bin"
    root.parent.mkdir(parents=True, exist_ok=True)
    # pytest-xdist workers may get here at once: one builds, the others wait
    with open(root.parent / f".{name}-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == stamp_value:
            return bin_dir
        _build(root, bin_dir, requirements)
        stamp.write_text(stamp_value)
    return bin_dir


def _build(root: Path, bin_dir: Path, requirements: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
    subprocess.run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirements,
        ],
        check=True,
    )
