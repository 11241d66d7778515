"""The directory format of devpi-server's ``devpi-export`` / ``devpi-import``.

Pure knowledge of the format, no Django. An export directory holds:

- ``dataindex.json``::

    {"dumpversion": "2", "pythonversion": [...], "devpi_server": "6.20.3",
     "users": {name: {"username", "pwhash", "email", "title", "description",
                      "custom_data", "created", "modified"}},
     "indexes": {"user/index": {
         "indexconfig": {"type": "stage"|"mirror", ...},
         "projects": {normalised name: {version: versiondata}},
         "files": [filedesc, ...]}}}

  A mirror index carries only ``indexconfig`` unless the export was made
  with ``--include-mirrored-files``.
- the files a ``filedesc`` names by ``relpath`` (relative to the directory):

  - ``releasefile``: ``user/index/<project>/<version>/<filename>``
  - ``toxresult``: ``user/index/<project>/<hash spec of the release
    file>/<filename>.toxresult-<timestamp>-<n>``, with ``for_entrypath``,
    the release file's path ``user/index/+f/<h[:3]>/<h[3:16]>/<filename>``
  - ``doczip``: ``user/index/<project>-<version>.doc.zip``

  A filedesc also has ``type``, ``projectname``, ``version`` (dumpversion
  2; dumpversion 1 derives it from the filename), ``log`` (devpi's
  ``[{"what", "who", "when": [Y, M, D, h, m, s], "dst"}]``) and
  ``entrymapping`` (``last_modified`` as an HTTP date, ``hash_spec``,
  ``hashes``; very old dumps have an ``md5`` key and docs/toxresults may
  have no hashes at all).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from indexes.distribution.hashpath import file_path

DATAINDEX = "dataindex.json"
DUMPVERSION = "2"
READABLE_DUMPVERSIONS = ("1", "2")

RELEASEFILE = "releasefile"
TOXRESULT = "toxresult"
DOCZIP = "doczip"
FILE_TYPES = (RELEASEFILE, TOXRESULT, DOCZIP)

# the hash types a dump may record that we can recompute
KNOWN_HASH_TYPES = ("sha256", "md5", "sha1", "sha224", "sha384", "sha512")


@dataclass(frozen=True)
class FileDesc:
    """One ``files`` entry of an index in ``dataindex.json``."""

    type: str
    project: str  # "projectname" as written (devpi writes the normalised name)
    relpath: str
    version: str | None
    hashes: dict[str, str] = field(default_factory=dict)
    last_modified: str | None = None
    log: list | None = None
    for_entrypath: str | None = None  # toxresults: the release file's path

    @property
    def basename(self) -> str:
        return self.relpath.rsplit("/", 1)[-1]

    @property
    def for_basename(self) -> str | None:
        if not self.for_entrypath:
            return None
        return self.for_entrypath.split("#", 1)[0].rsplit("/", 1)[-1]


@dataclass
class IndexDump:
    """One index of an export."""

    name: str  # "user/index"
    config: dict  # indexconfig, with "type"
    projects: dict[str, dict[str, dict]]  # normalised name -> version -> versiondata
    files: list[FileDesc]
    has_data: bool  # False: a mirror exported without its files

    @property
    def user(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def index(self) -> str:
        return self.name.split("/", 1)[1]

    @property
    def type(self) -> str:
        return self.config.get("type", "stage")

    @property
    def bases(self) -> list[str]:
        bases = self.config.get("bases") or []
        if isinstance(bases, str):
            bases = [b.strip() for b in bases.split(",")]
        return [b for b in bases if isinstance(b, str) and b]


@dataclass
class ExportTree:
    """A parsed export directory (``reader.read_export``)."""

    path: Path
    dumpversion: str
    devpi_server: str | None
    users: dict[str, dict]
    indexes: dict[str, IndexDump]


# -- paths ------------------------------------------------------------------


def entrypath(index: str, sha256: str, filename: str) -> str:
    """devpi's path of a stored file: ``user/index/+f/<h[:3]>/<h[3:16]>/<file>``."""
    return file_path(index, sha256, filename)


def releasefile_relpath(index: str, project: str, version: str, filename: str) -> str:
    return f"{index}/{project}/{version}/{filename}"


def toxresult_relpath(index: str, project: str, file_sha256: str, filename: str) -> str:
    return f"{index}/{project}/sha256={file_sha256}/{filename}"


def doczip_relpath(index: str, project: str, version: str) -> str:
    return f"{index}/{project}-{version}.doc.zip"


# -- hashes -----------------------------------------------------------------


def parse_hash_spec(spec: str) -> tuple[str, str] | None:
    """``"sha256=ab12..."`` -> ``("sha256", "ab12...")``; None if unusable."""
    if not isinstance(spec, str) or "=" not in spec:
        return None
    algorithm, value = spec.split("=", 1)
    algorithm = algorithm.strip().lower()
    if algorithm not in KNOWN_HASH_TYPES or not value:
        return None
    return algorithm, value.strip().lower()


def recorded_hashes(entrymapping: dict) -> dict[str, str]:
    """The hashes an ``entrymapping`` records: ``hashes``, ``hash_spec``,
    and the ``md5`` key of devpi-server 2.x dumps. The ``hash_spec`` wins
    when they disagree, as devpi's own reading does."""
    result: dict[str, str] = {}
    hashes = entrymapping.get("hashes")
    if isinstance(hashes, dict):
        for algorithm, value in hashes.items():
            if algorithm in KNOWN_HASH_TYPES and isinstance(value, str) and value:
                result[algorithm] = value.lower()
    md5 = entrymapping.get("md5")
    if isinstance(md5, str) and md5 and "md5" not in result:
        result["md5"] = md5.lower()
    parsed = parse_hash_spec(entrymapping.get("hash_spec") or "")
    if parsed is not None:
        algorithm, value = parsed
        if result.get(algorithm, value) != value:
            result = {}
        result[algorithm] = value
    return result


@dataclass(frozen=True)
class FileCheck:
    sha256: str
    size: int
    error: str | None  # None: every recorded hash matched
    verified: tuple[str, ...]  # the hash types that were compared


def check_file(fileobj, expected: dict[str, str], chunk_size: int = 1024 * 1024) -> FileCheck:
    """Hash a file once (sha256 plus every recorded type) and compare."""
    algorithms = {"sha256": hashlib.sha256()}
    for algorithm in expected:
        if algorithm not in algorithms:
            algorithms[algorithm] = hashlib.new(algorithm)
    size = 0
    while chunk := fileobj.read(chunk_size):
        size += len(chunk)
        for h in algorithms.values():
            h.update(chunk)
    actual = {name: h.hexdigest() for name, h in algorithms.items()}
    errors = [
        f"{name} mismatch, got {actual[name]}, expected {value}"
        for name, value in sorted(expected.items())
        if actual[name] != value
    ]
    return FileCheck(actual["sha256"], size, "; ".join(errors) or None, tuple(sorted(expected)))
