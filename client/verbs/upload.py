"""``manage.py devpi upload``: build the project here (``python -m build
--no-isolation``, and Sphinx docs with ``--with-docs``/``--only-docs``), or
take release files and doc zips from paths, and store them on the index."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from indexes.distribution.names import normalize_name
from indexes.errors import Forbidden, Invalid
from indexes.models import Index
from indexes.services.uploads import upload_permission_check

from .. import current, procs
from .. import docs as cli_docs
from .. import upload as cli_upload
from ..console import Console, Verb
from ..docs import add_docs_flags, docs_flags
from ..server import index_url

SUMMARY = "build the project here (python -m build) or take release files, and upload"
DESCRIPTION = (
    "Without paths, build an sdist and a wheel of the project in the current directory "
    "(or its nearest parent with pyproject.toml, setup.py or setup.cfg) with 'python "
    "-m build --no-isolation' and upload them. With paths, upload those release files "
    "(and NAME-VERSION.doc.zip documentation)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", default=None, help="index to upload to (default: current)")
    parser.add_argument(
        "--from-dir",
        dest="from_dir",
        action="store_true",
        help="look for release files in the given directories, recursively",
    )
    parser.add_argument(
        "--only-latest",
        dest="only_latest",
        action="store_true",
        help="per project, upload only the files of its newest version",
    )
    parser.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="show what would be uploaded, upload nothing",
    )
    add_docs_flags(
        parser,
        with_docs="also build Sphinx docs (conf.py in doc/, docs/ or source/, or "
        "their source/) with sphinx-build and upload them",
        only_docs="as --with-docs, without building or uploading release files",
    )
    parser.add_argument(
        "-p",
        "--python",
        default=None,
        metavar="PYTHON_EXE",
        help="Python interpreter that runs the build (default: this one)",
    )
    parser.add_argument("--sdist", action="store_true", help="build only an sdist")
    parser.add_argument("--wheel", action="store_true", help="build only a wheel")
    parser.add_argument(
        "--no-isolation",
        dest="no_isolation",
        action="store_true",
        help="accepted for devpi-client compatibility: builds always run without isolation",
    )
    parser.add_argument(
        "path", nargs="*", type=Path, help="release files (or, with --from-dir, directories)"
    )


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    index = current.index_for(options["index"], acting=actor.username)
    # the upload services refuse on their own; asked once here, before anything is
    # built, so that a refusal says who and where, as devpi-client does
    try:
        upload_permission_check(user=actor, index=index)
    except Forbidden:
        raise Forbidden(f"user {actor.username!r} may not upload to {index.fullname}") from None
    with_docs, _no_docs, only_docs = docs_flags(options)
    if options["path"]:
        if with_docs or only_docs:
            raise Invalid(
                "--with-docs/--only-docs build the docs of the project here; "
                "pass a NAME-VERSION.doc.zip as a path to upload built docs"
            )
        paths = cli_upload.find_archives(options["path"], from_dir=options["from_dir"])
        docs = [(p, *cli_docs.doczip_name_version(p)) for p in paths if cli_docs.is_doczip(p)]
        upload_files(
            out, index, actor, [p for p in paths if not cli_docs.is_doczip(p)], docs, options
        )
        return
    if options["from_dir"]:
        raise Invalid("--from-dir needs a directory")
    project_dir = cli_upload.find_project_dir(Path.cwd())
    with tempfile.TemporaryDirectory(prefix="devpi-upload-") as tmp:
        outdir = Path(tmp) / "dist"
        built = [] if only_docs else build(out, project_dir, outdir, options)
        docs = []
        if with_docs or only_docs:
            docs.append(build_docs(out, project_dir, Path(tmp), built, options))
        upload_files(out, index, actor, built, docs, options)


def build(out: Console, project_dir: Path, outdir: Path, options: dict[str, Any]) -> list[Path]:
    cmd = cli_upload.build_command(
        project_dir,
        outdir,
        python=options["python"],
        sdist=options["sdist"],
        wheel=options["wheel"],
    )
    out.line(procs.command_line(cmd, project_dir))
    code = procs.run_streaming(cmd, write=out.line, cwd=project_dir)
    if code != 0:
        raise Invalid(f"build failed (exit code {code}): see its output above")
    built = (
        sorted(p for p in outdir.iterdir() if cli_upload.is_archive(p)) if outdir.is_dir() else []
    )
    if not built:
        raise Invalid("nothing built!")
    for path in built:
        out.line(f"built: {path} {cli_upload.size_text(path)}")
    return built


def build_docs(
    out: Console, project_dir: Path, workdir: Path, built: list[Path], options: dict[str, Any]
) -> tuple[Path, str, str]:
    """Sphinx HTML of the project, zipped: (path, name, version)."""
    docs = cli_docs.find_doc_source(project_dir, workdir / "docs-html")
    sphinx_build = cli_docs.find_sphinx_build()
    if sphinx_build is None:
        raise Invalid("sphinx-build not found: install Sphinx to build docs")
    if built:
        archive = cli_upload.read_archive(built[0])
        name, version = archive.name, archive.version
    else:
        output: list[str] = []
        cmd = cli_docs.metadata_command(project_dir, options["python"])
        code = procs.run_streaming(cmd, write=output.append, cwd=project_dir)
        if code != 0:
            raise Invalid(
                "could not read the project's name and version: "
                + (output[-1] if output else f"exit code {code}")
            )
        name, version = cli_docs.parse_metadata_output("\n".join(output))
    cmd = cli_docs.sphinx_command(sphinx_build, docs)
    out.line(procs.command_line(cmd, project_dir))
    code = procs.run_streaming(cmd, write=out.line, cwd=project_dir)
    if code != 0:
        raise Invalid(f"sphinx-build failed (exit code {code}): see its output above")
    path = cli_docs.zip_tree(
        docs.output, workdir / "dist" / f"{normalize_name(name)}-{version}.doc.zip"
    )
    out.line(f"built: {path} [sphinx docs] {cli_upload.size_text(path)}")
    return path, name, version


def upload_files(
    out: Console,
    index: Index,
    actor: Any,
    paths: list[Path],
    docs: list[tuple[Path, str, str | None]],
    options: dict[str, Any],
) -> None:
    archives = [cli_upload.read_archive(p) for p in paths]
    if options["only_latest"]:
        archives = cli_upload.only_latest(archives)
        docs = cli_docs.only_latest(docs)
    if not archives and not docs:
        raise Invalid("no release files found")
    target = f"{index_url(index.fullname)}/"
    for archive in archives:
        if options["dry_run"]:
            out.line(f"skipped (dry run): file_upload of {archive.path.name} to {target}")
            continue
        result = cli_upload.upload_archive(index=index, user=actor, archive=archive)
        note = "" if result.created else " (identical file was there already)"
        out.line(f"file_upload of {archive.path.name} to {target}{note}")
    for path, name, version in docs:
        if options["dry_run"]:
            out.line(f"skipped (dry run): doc_upload of {path.name} to {target}")
            continue
        doc_result = cli_docs.upload_doczip(
            index=index, user=actor, path=path, name=name, version=version
        )
        note = "" if doc_result.created else " (identical file was there already)"
        out.line(f"doc_upload of {path.name} to {target}{note}")


VERB = Verb("upload", SUMMARY, DESCRIPTION, add_arguments, run)
