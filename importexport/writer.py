"""Writing an export directory in devpi-export's format. No Django.

Files are copied in while their sha256 is checked; ``dataindex.json`` is
written last, under a temporary name renamed into place, so an interrupted
export is never mistaken for a complete one (the reader refuses a directory
without it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import BinaryIO

from .errors import ImportExportError
from .layout import DATAINDEX, DUMPVERSION


class ExportWriteError(ImportExportError):
    """The export directory cannot be written to: the export cannot go on."""


class ExportWriter:
    def __init__(self, path, *, devpi_server_version: str, extra: dict | None = None):
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise ImportExportError(f"export directory {path} must not exist or be empty")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImportExportError(f"cannot create {path}: {exc.strerror or exc}") from None
        self.path = path
        self.data: dict = {
            "dumpversion": DUMPVERSION,
            "pythonversion": list(sys.version_info),
            "devpi_server": devpi_server_version,
            **(extra or {}),
            "users": {},
            "indexes": {},
        }

    def user(self, name: str, userconfig: dict) -> None:
        self.data["users"][name] = {**userconfig, "username": name}

    def index(self, name: str, indexconfig: dict, *, with_data: bool) -> None:
        entry: dict = {"indexconfig": indexconfig}
        if with_data:
            entry["projects"] = {}
            entry["files"] = []
        self.data["indexes"][name] = entry

    def version(self, index: str, project: str, version: str, versiondata: dict) -> None:
        projects = self.data["indexes"][index]["projects"]
        projects.setdefault(project, {})[version] = versiondata

    def file(
        self,
        index: str,
        *,
        type: str,
        project: str,
        version: str,
        relpath: str,
        content: BinaryIO,
        sha256: str,
        last_modified: str,
        log: list | None,
        for_entrypath: str | None = None,
    ) -> None:
        """Copy ``content`` to ``relpath`` and describe it. Raises
        ``ImportExportError`` (leaving nothing behind) when the bytes do not
        hash to ``sha256``."""
        target = self.path / relpath
        if self.path.resolve() not in target.resolve().parents:
            raise ImportExportError(f"file path {relpath!r} points outside the export")
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        try:
            out = target.open("xb")
        except FileExistsError:
            raise ImportExportError(f"two files of the export would be {relpath}") from None
        try:
            with out:
                while chunk := content.read(1024 * 1024):
                    digest.update(chunk)
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise ExportWriteError(
                            f"cannot write {target}: {exc.strerror or exc}"
                        ) from None
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        if digest.hexdigest() != sha256:
            target.unlink()
            raise ImportExportError(f"sha256 mismatch, got {digest.hexdigest()}, expected {sha256}")
        desc: dict = {
            "type": type,
            "projectname": project,
            "relpath": relpath,
            "version": version,
            "entrymapping": {
                "last_modified": last_modified,
                "hash_spec": f"sha256={sha256}",
                "hashes": {"sha256": sha256},
                "project": project,
                "version": version,
            },
        }
        if log is not None:
            desc["log"] = log
        if for_entrypath is not None:
            desc["for_entrypath"] = for_entrypath
        self.data["indexes"][index]["files"].append(desc)

    def finish(self) -> Path:
        target = self.path / DATAINDEX
        tmp = self.path / f".{DATAINDEX}.tmp"
        try:
            with tmp.open("w", encoding="utf-8") as f:
                json.dump(self.data, f, indent=2)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise ExportWriteError(f"cannot write {target}: {exc.strerror or exc}") from None
        return target
