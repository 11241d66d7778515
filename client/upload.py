"""``upload``: build a project with ``python -m build --no-isolation``, or
take release files from paths (``--from-dir`` looks into directories), read
each file's core metadata and store it through ``release_file_upload``, as
twine's upload form would carry it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import parse_email

from indexes.distribution.archives import InvalidArchive, core_metadata_of
from indexes.distribution.filenames import InvalidFilename, parse_filename
from indexes.distribution.names import normalize_name
from indexes.errors import Invalid
from indexes.services.uploads import UploadForm, UploadResult, archive_limits, release_file_upload

from .specs import version_key

ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".egg")
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
# core metadata fields whose upload form name is not simply lower_case
FIELD_NAMES = {
    "classifier": "classifiers",
    "project-url": "project_urls",
    "provides-extra": "provides_extra",
}


@dataclass(frozen=True)
class Archive:
    path: Path
    form: UploadForm

    @property
    def name(self) -> str:
        return self.form.get("name")

    @property
    def version(self) -> str:
        return self.form.get("version")


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(ARCHIVE_SUFFIXES)


def find_archives(paths: list[Path], *, from_dir: bool) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise Invalid(f"path does not exist: {path}")
        if path.is_dir():
            if not from_dir:
                raise Invalid(f"{path}: is a directory but --from-dir not specified")
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and is_archive(p))
        else:
            found.append(path)
    return found


def _metadata_bytes(path: Path) -> bytes | None:
    """The wheel's ``.dist-info/METADATA``, the egg's ``EGG-INFO/PKG-INFO`` or
    the sdist's top-level ``PKG-INFO``, read within the server's archive
    bounds (``archives.core_metadata_of``)."""
    try:
        with open(path, "rb") as fh:
            return core_metadata_of(fh, path.name, archive_limits())
    except OSError as exc:
        raise Invalid(f"{path}: cannot read archive: {exc}") from None
    except InvalidArchive as exc:
        raise Invalid(f"{path}: cannot read archive: {exc}") from None


# packaging.metadata's RawMetadata keys whose upload form name differs
RAW_TO_FORM = {
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "license_files": "license_file",
}


def metadata_form(data: bytes) -> dict[str, list[str]]:
    """Core metadata -> the fields of twine's upload form. Read with
    ``packaging.metadata`` (UTF-8, RFC 822 folding, the body as the
    description), so non-ASCII names and descriptions arrive intact."""
    raw, unparsed = parse_email(data)
    fields: dict[str, list[str]] = {}
    for key, value in raw.items():
        field = RAW_TO_FORM.get(key, key)
        if key == "project_urls":
            urls = raw["project_urls"]
            fields[field] = [f"{label}, {url}" for label, url in urls.items()]
        elif key == "keywords":
            fields[field] = [",".join(raw["keywords"])]
        elif isinstance(value, list):
            fields[field] = [str(v) for v in value]
        else:
            fields[field] = [str(value)]
    for key, values in unparsed.items():  # unknown or malformed fields, as written
        lower = key.lower()
        field = FIELD_NAMES.get(lower, lower.replace("-", "_"))
        fields.setdefault(field, [str(v) for v in values])
    return fields


def read_archive(path: Path) -> Archive:
    data = _metadata_bytes(path)
    if data is None:
        raise Invalid(f"{path}: does not contain PKG-INFO or METADATA")
    fields = metadata_form(data)
    if not fields.get("name") or not fields.get("version"):
        raise Invalid(f"{path}: its metadata has no Name or Version")
    try:
        dist = parse_filename(path.name, version_hint=fields["version"][0])
    except InvalidFilename as exc:
        raise Invalid(str(exc)) from None
    fields.setdefault("pyversion", [dist.pyversion])
    fields["filetype"] = [dist.packagetype]
    fields[":action"] = ["file_upload"]
    fields["protocol_version"] = ["1"]
    return Archive(path=path, form=UploadForm(fields))


def only_latest(archives: list[Archive]) -> list[Archive]:
    """Per project, only the files of its newest version."""
    newest: dict[str, str] = {}
    for a in archives:
        project = normalize_name(a.name)
        if project not in newest or version_key(a.version) > version_key(newest[project]):
            newest[project] = a.version
    return [a for a in archives if newest[normalize_name(a.name)] == a.version]


def upload_archive(*, index, user, archive: Archive) -> UploadResult:
    with open(archive.path, "rb") as fh:
        return release_file_upload(
            index=index, user=user, form=archive.form, filename=archive.path.name, content=fh
        )


def find_project_dir(start: Path) -> Path:
    """``start`` or the nearest parent with a pyproject.toml, setup.py or setup.cfg."""
    for directory in [start, *start.parents]:
        if any((directory / name).is_file() for name in PROJECT_FILES):
            return directory
    raise Invalid(
        f"no pyproject.toml, setup.py or setup.cfg in {start} or its parents: "
        "nothing to build (pass release files, or --from-dir DIR)"
    )


def build_command(
    project_dir: Path,
    outdir: Path,
    *,
    python: str | None = None,
    sdist: bool = False,
    wheel: bool = False,
) -> list[str]:
    cmd = [python or sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir)]
    if sdist:
        cmd.append("--sdist")
    if wheel:
        cmd.append("--wheel")
    cmd.append(str(project_dir))
    return cmd


def size_text(path: Path) -> str:
    return f"{max(1, round(path.stat().st_size / 1024))}kb"
