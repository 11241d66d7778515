"""``manage.py devpi refresh``: renew the cached pages of projects on every
mirror an index reads from (the mirror kind's work, ``indexes.kinds``)."""

from __future__ import annotations

import argparse
from typing import Any

from indexes.distribution.names import normalize_name
from indexes.errors import DevpiError

from .. import current
from ..console import Console, Verb
from ..mirrors import mirrors_of

SUMMARY = "renew mirror pages of projects from upstream (on a Celery worker if there is one)"
DESCRIPTION = (
    "Renew the cached pages of PROJECTs on every mirror the index reads from, whether "
    "or not they expired. With a broker the refreshes are queued for a Celery worker "
    "(one per project, however often asked); without, they run here."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        default=None,
        metavar="INDEX",
        help="a mirror, or an index with mirrors among its bases (default: the current index)",
    )
    parser.add_argument("projects", nargs="+", metavar="PROJECT")


def run(out: Console, options: dict[str, Any]) -> None:
    index = current.index_for(options["index"], acting=out.actor().username)
    mirrors = mirrors_of(index)
    for project in options["projects"]:
        name = normalize_name(project)
        for mirror, kind in mirrors:
            try:
                what = kind.refresh(mirror, name)
            except DevpiError as exc:
                what = f"failed: {exc.message}"
            out.line(f"{mirror.fullname} {name}: {what}")


VERB = Verb("refresh", SUMMARY, DESCRIPTION, add_arguments, run)
