"""``manage.py devpi project-status``: show a project's PEP 792 status on an
index, or set it through ``services.project_status`` (which decides who may)."""

from __future__ import annotations

import argparse
from typing import Any

from indexes import project_status, selectors
from indexes.distribution.names import normalize_name
from indexes.services import project_status as project_status_services

from .. import current
from ..console import Console, Verb

SUMMARY = (
    "show or set a project's PEP 792 status (active, archived, deprecated, "
    "quarantined) on the index"
)
DESCRIPTION = (
    "Without STATUS show the project's status on the index (its own, or the one it "
    "inherits). With STATUS set it, as the index owner or root (on a mirror index root "
    "only): archived refuses uploads; quarantined lists no files and refuses their "
    "downloads on the index and on every index that inherits from it; deprecated is "
    "informational; active is the default."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", default=None, help="index to act on (default: current)")
    parser.add_argument("--reason", default="", help="why (shown to installers and in the UI)")
    parser.add_argument("name", help="project name")
    parser.add_argument("status", nargs="?", help="active, archived, deprecated or quarantined")


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    index = current.index_for(options["index"], acting=actor.username)
    if options["status"] is not None:
        row = project_status_services.project_status_set(
            index=index,
            project=options["name"],
            user=actor,
            data={"status": options["status"], "reason": options["reason"]},
        )
        out.line(
            f"{row.name} on {index.fullname}: {row.status}"
            + (f" ({row.reason})" if row.reason else "")
        )
        return
    selectors.index_readable(index, actor)
    name = normalize_name(options["name"])
    status = project_status.status_of(index, name)
    if status is None:
        out.line(f"{name} on {index.fullname}: active")
    else:
        where = f" (set on {status.index})" if status.index != index.fullname else ""
        out.line(
            f"{name} on {index.fullname}: {status.status}"
            + where
            + (f" ({status.reason})" if status.reason else "")
        )


VERB = Verb("project-status", SUMMARY, DESCRIPTION, add_arguments, run)
