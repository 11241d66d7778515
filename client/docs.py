"""``upload --with-docs`` / ``--only-docs``: Sphinx docs built with
``sphinx-build`` from ``doc/``, ``docs/`` or ``source/`` (or their
``source/`` subdirectory), zipped as ``NAME-VERSION.doc.zip`` and stored
through ``services.docs.doczip_upload``, as devpi-client does; and
``*.doc.zip`` files given as paths. Also the documentation flags
(``--with-docs``, ``--no-docs``, ``--only-docs``) the verbs share."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from indexes.distribution.names import normalize_name
from indexes.errors import Invalid
from indexes.services.docs import DocUploadResult, doczip_upload
from indexes.services.push.options import docs_selection_check
from indexes.services.uploads import UploadForm

from .specs import version_key

DOC_DIRS = ("doc", "docs", "source")
DOCZIP = re.compile(r"^(?P<name>.+?)(-(?P<version>[^-]+))?\.doc\.zip$", re.IGNORECASE)
METADATA_SCRIPT = (
    "import json, sys\n"
    "from build.util import project_wheel_metadata\n"
    "m = project_wheel_metadata(sys.argv[1], isolated=False)\n"
    "print(json.dumps([m['Name'], m['Version']]))\n"
)


@dataclass(frozen=True)
class DocSource:
    source: Path  # holds conf.py
    output: Path  # where sphinx-build writes the HTML


def is_doczip(path: Path) -> bool:
    return path.name.lower().endswith(".doc.zip")


def doczip_name_version(path: Path) -> tuple[str, str | None]:
    """``NAME-VERSION.doc.zip`` -> (NAME, VERSION); no version: (NAME, None)."""
    match = DOCZIP.match(path.name)
    if match is None:
        raise Invalid(f"{path.name}: not a NAME-VERSION.doc.zip file")
    return match["name"], match["version"]


def find_doc_source(project_dir: Path, build_dir: Path) -> DocSource:
    for guess in DOC_DIRS:
        docs = project_dir / guess
        if (docs / "conf.py").is_file():
            return DocSource(docs, build_dir)
        if (docs / "source" / "conf.py").is_file():
            return DocSource(docs / "source", build_dir)
    raise Invalid(
        f"no Sphinx docs in {project_dir}: no conf.py in "
        + ", ".join(f"{d}/ or {d}/source/" for d in DOC_DIRS)
    )


def find_sphinx_build() -> str | None:
    beside = Path(sys.executable).parent / "sphinx-build"
    if beside.is_file():
        return str(beside)
    return shutil.which("sphinx-build")


def sphinx_command(sphinx_build: str, docs: DocSource) -> list[str]:
    return [sphinx_build, "-E", str(docs.source), str(docs.output)]


def metadata_command(project_dir: Path, python: str | None = None) -> list[str]:
    """Prints ``["NAME", "VERSION"]`` of the project (PEP 517 metadata, no isolation)."""
    return [python or sys.executable, "-c", METADATA_SCRIPT, str(project_dir)]


def parse_metadata_output(output: str) -> tuple[str, str]:
    for line in reversed(output.strip().splitlines()):
        try:
            name, version = json.loads(line)
        except (ValueError, TypeError):
            continue
        return str(name), str(version)
    raise Invalid("could not read the project's name and version")


def zip_tree(directory: Path, target: Path) -> Path:
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    if not files:
        raise Invalid(f"sphinx-build wrote nothing into {directory}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, path.relative_to(directory).as_posix())
    return target


def upload_doczip(*, index, user, path: Path, name: str, version: str | None) -> DocUploadResult:
    fields = {"name": [name], ":action": ["doc_upload"]}
    if version:
        fields["version"] = [version]
    with open(path, "rb") as fh:
        return doczip_upload(index=index, user=user, form=UploadForm(fields), content=fh)


def only_latest(docs: list[tuple[Path, str, str | None]]) -> list[tuple[Path, str, str | None]]:
    """Per project, only the doc zip of its newest version."""
    newest: dict[str, str | None] = {}
    for _path, name, version in docs:
        key = normalize_name(name)
        if key not in newest or version_key(version or "") > version_key(newest[key] or ""):
            newest[key] = version
    return [d for d in docs if newest[normalize_name(d[1])] == d[2]]


# the documentation flags of the verbs that have them (upload: with/only; push: no/only)
DOCS_FLAGS = {"with_docs": "--with-docs", "no_docs": "--no-docs", "only_docs": "--only-docs"}


def add_docs_flags(parser: argparse.ArgumentParser, **helps: str) -> None:
    """Add the documentation flags named in ``helps`` (``with_docs``,
    ``no_docs``, ``only_docs``; in that order), each with its help text."""
    for dest, flag in DOCS_FLAGS.items():
        if dest in helps:
            parser.add_argument(flag, dest=dest, action="store_true", help=helps[dest])


def docs_flags(options: dict) -> tuple[bool, bool, bool]:
    """(with_docs, no_docs, only_docs) of a verb's options; ``--no-docs``
    with ``--only-docs`` is refused."""
    with_docs, no_docs, only_docs = (bool(options.get(dest)) for dest in DOCS_FLAGS)
    docs_selection_check(
        no_docs=no_docs, only_docs=only_docs, names=(DOCS_FLAGS["no_docs"], DOCS_FLAGS["only_docs"])
    )
    return with_docs, no_docs, only_docs
