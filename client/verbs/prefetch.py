"""``manage.py devpi prefetch``: fetch pages and the newest matching files of
requirements into the mirror an index reads from, to install offline."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from devpi_django.progress import Progress
from indexes.errors import DevpiError, Invalid

from .. import current
from ..console import Console, Verb
from ..mirrors import mirrors_of, read_requirements, requirement_lines

SUMMARY = "fetch the newest files of requirements into a mirror, to work offline"
DESCRIPTION = (
    "Fetch pages and the newest matching files of requirements into the mirror the "
    "index reads from, so they install offline."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        default=None,
        metavar="INDEX",
        help="a mirror, or an index with a mirror among its bases (default: the current index)",
    )
    parser.add_argument(
        "-r",
        "--requirement",
        action="append",
        default=[],
        metavar="FILE",
        help="a requirements file (may be given several times)",
    )
    parser.add_argument(
        "requirements", nargs="*", metavar="REQ", help="requirements such as 'name>=1.0'"
    )


def run(out: Console, options: dict[str, Any]) -> None:
    index = current.index_for(options["index"], acting=out.actor().username)
    mirror, kind = mirrors_of(index)[0]
    requirements = requirement_lines("\n".join(options["requirements"]))
    for path in options["requirement"]:
        requirements.extend(read_requirements(Path(path)))
    if not requirements:
        raise Invalid("nothing to prefetch: give requirements or -r FILE")
    progress = Progress("prefetch", unit="requirement", out=out.stdout, err=out.stderr)
    progress.start(len(requirements))
    missing = 0
    try:
        for requirement in requirements:
            try:
                files = kind.prefetch(mirror, requirement)
            except DevpiError as exc:
                files, problem = [], exc.message
            else:
                problem = "no matching files" if not files else ""
            missing += not files
            progress.advance()
            progress.line(f"{requirement}: " + (", ".join(files) if files else problem))
    finally:
        progress.close()
    out.line(progress.summary() + f" into {mirror.fullname}, {missing} without files")
    if missing:
        raise CommandError(
            f"{missing} of {len(requirements)} requirements have no files in {mirror.fullname}"
        )


VERB = Verb("prefetch", SUMMARY, DESCRIPTION, add_arguments, run)
