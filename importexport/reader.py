"""Reading an export directory: ``dataindex.json`` checked and parsed into
``layout`` objects, and safe access to the files it names. No Django."""

from __future__ import annotations

import json
from pathlib import Path

from indexes.distribution.filenames import InvalidFilename, parse_filename
from indexes.distribution.names import normalize_name

from .errors import ImportExportError
from .layout import (
    DATAINDEX,
    FILE_TYPES,
    READABLE_DUMPVERSIONS,
    ExportTree,
    FileDesc,
    IndexDump,
    recorded_hashes,
)


class NotAnExport(ImportExportError):
    """The directory is not something devpi-export wrote."""


def read_export(path) -> ExportTree:
    """Parse ``path/dataindex.json``; raise ``NotAnExport`` with a one-line
    reason when the directory is not a devpi export we can read."""
    path = Path(path)
    if not path.is_dir():
        raise NotAnExport(f"{path} is not a directory")
    index_path = path / DATAINDEX
    if not index_path.is_file():
        raise NotAnExport(f"{path} is not a devpi export: it has no {DATAINDEX}")
    try:
        with index_path.open("rb") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise NotAnExport(f"{index_path} is not readable JSON: {exc}") from None
    if not isinstance(data, dict) or "dumpversion" not in data:
        raise NotAnExport(f"{path} is not a devpi export: {DATAINDEX} has no dumpversion")
    dumpversion = str(data["dumpversion"])
    if dumpversion not in READABLE_DUMPVERSIONS:
        raise NotAnExport(
            f"{path}: unsupported dumpversion {dumpversion!r} (readable: "
            f"{', '.join(READABLE_DUMPVERSIONS)})"
        )
    users, indexes = data.get("users"), data.get("indexes")
    if not isinstance(users, dict) or not isinstance(indexes, dict):
        raise NotAnExport(
            f"{path} is not a devpi export: {DATAINDEX} needs 'users' and 'indexes' objects"
        )
    for name, config in users.items():
        if not isinstance(config, dict):
            raise NotAnExport(f"{DATAINDEX}: user {name!r} is not an object")
    return ExportTree(
        path=path,
        dumpversion=dumpversion,
        devpi_server=data.get("devpi_server")
        if isinstance(data.get("devpi_server"), str)
        else None,
        users=users,
        indexes={name: _index(name, raw, dumpversion) for name, raw in indexes.items()},
    )


def _index(name: str, raw, dumpversion: str) -> IndexDump:
    if not isinstance(raw, dict) or not isinstance(raw.get("indexconfig"), dict):
        raise NotAnExport(f"{DATAINDEX}: index {name!r} has no indexconfig")
    if name.count("/") != 1:
        raise NotAnExport(f"{DATAINDEX}: index name {name!r} is not 'user/index'")
    projects = raw.get("projects", {})
    files = raw.get("files", [])
    if not isinstance(projects, dict) or not isinstance(files, list):
        raise NotAnExport(f"{DATAINDEX}: index {name!r} has malformed projects or files")
    return IndexDump(
        name=name,
        config=dict(raw["indexconfig"]),
        projects=_projects(name, projects),
        files=[_filedesc(name, item, dumpversion) for item in files],
        has_data="projects" in raw or "files" in raw,
    )


def _projects(index: str, projects: dict) -> dict[str, dict[str, dict]]:
    """Projects by normalised name; spellings that normalise alike are merged,
    as devpi-import does."""
    result: dict[str, dict[str, dict]] = {}
    for name, versions in projects.items():
        if not isinstance(versions, dict) or not all(
            isinstance(v, dict) for v in versions.values()
        ):
            raise NotAnExport(f"{DATAINDEX}: {index}: project {name!r} is malformed")
        result.setdefault(normalize_name(name), {}).update(
            {str(version): dict(data) for version, data in versions.items()}
        )
    return result


def _filedesc(index: str, item, dumpversion: str) -> FileDesc:
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("relpath"), str)
        or not isinstance(item.get("projectname"), str)
    ):
        raise NotAnExport(f"{DATAINDEX}: {index}: malformed file entry {item!r}")
    mapping = item.get("entrymapping") or {}
    if not isinstance(mapping, dict):
        mapping = {}
    relpath = item["relpath"]
    version = item.get("version")
    if version is None and item.get("type") == "releasefile" and dumpversion == "1":
        try:  # dumpversion 1 had no version attribute: the filename tells
            version = parse_filename(relpath.rsplit("/", 1)[-1]).version
        except InvalidFilename:
            version = None
    log = item.get("log")
    return FileDesc(
        type=str(item.get("type", "")),
        project=item["projectname"],
        relpath=relpath,
        version=str(version) if version is not None else None,
        hashes=recorded_hashes(mapping),
        last_modified=mapping.get("last_modified")
        if isinstance(mapping.get("last_modified"), str)
        else None,
        log=log if isinstance(log, list) else None,
        for_entrypath=item.get("for_entrypath")
        if isinstance(item.get("for_entrypath"), str)
        else None,
    )


def member_path(tree: ExportTree, relpath: str) -> Path:
    """The file a filedesc names, refusing paths that leave the export."""
    root = Path(tree.path).resolve()
    candidate = (root / relpath).resolve()
    if relpath.startswith("/") or root not in candidate.parents:
        raise ImportExportError(f"file path {relpath!r} points outside the export")
    return candidate


def known_file_type(desc: FileDesc) -> bool:
    return desc.type in FILE_TYPES
