"""Generated release files for tests: valid wheels and sdists written
directly (fast), plus a project tree for ``python -m build``."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

from packaging.utils import canonicalize_name


def _dist_name(name: str) -> str:
    return canonicalize_name(name).replace("-", "_")


def core_metadata(
    name: str,
    version: str,
    *,
    requires_python: str | None = None,
    requires: list[str] | None = None,
    summary: str = "generated",
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: {summary}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {r}" for r in requires or [])
    return "\n".join(lines) + "\n\n"


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires_python: str | None = None,
    requires: list[str] | None = None,
    metadata_name: str | None = None,
    metadata_version: str | None = None,
    payload: str = "X = 1\n",
    metadata: str | None = None,
) -> Path:
    """A valid pure-Python wheel; ``metadata`` replaces the generated METADATA."""
    dist = _dist_name(name)
    path = Path(directory) / f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    if metadata is None:
        metadata = core_metadata(
            metadata_name or name,
            metadata_version or version,
            requires_python=requires_python,
            requires=requires,
        )
    files = {
        f"{dist}/__init__.py": payload.encode(),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n\n",
    }
    record = []
    for arcname, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arcname},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    Path(directory).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files.items():
            # a fixed timestamp: the same arguments always give the same bytes
            entry = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return path


def make_sdist(
    directory: Path, name: str, version: str, *, requires_python: str | None = None
) -> Path:
    dist = _dist_name(name)
    base = f"{dist}-{version}"
    path = Path(directory) / f"{base}.tar.gz"
    Path(directory).mkdir(parents=True, exist_ok=True)
    members = {
        f"{base}/PKG-INFO": core_metadata(name, version, requires_python=requires_python),
        f"{base}/setup.py": f"from setuptools import setup\nsetup(name={name!r}, "
        f"version={version!r}, packages=[{dist!r}])\n",
        f"{base}/{dist}/__init__.py": "X = 1\n",
    }
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w") as tf,
    ):
        for arcname, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = 1577836800
            tf.addfile(info, io.BytesIO(data))
    return path


def make_project_tree(
    directory: Path,
    name: str,
    version: str,
    *,
    requires_python: str = ">=3.8",
    test_body: str | None = None,
) -> Path:
    """A buildable setuptools project (pyproject.toml, src layout)."""
    root = Path(directory) / f"{_dist_name(name)}-{version}-src"
    pkg = root / "src" / _dist_name(name)
    pkg.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
        f'description = "generated {name}"\nrequires-python = "{requires_python}"\n'
    )
    (pkg / "__init__.py").write_text(f'VERSION = "{version}"\n')
    if test_body is not None:
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "test_it.py").write_text(test_body)
    return root
