"""``manage.py devpi remove``: a project, the versions matching a spec, or one
file (by URL) off an index, after devpi-client's confirmation dialogue.
``services.removal`` decides who may."""

from __future__ import annotations

import argparse
from typing import Any

from indexes.errors import Invalid
from indexes.services import removal as removal_services

from .. import current
from .. import removal as cli_removal
from ..console import Console, Verb
from ..server import server_url
from ..specs import parse_spec

SUMMARY = "remove a project, versions or one file from the index"
DESCRIPTION = (
    "Remove a project, the versions matching a spec, or a single file (by URL) from "
    "the index itself, never from its bases. Asks for confirmation unless -y. "
    "Non-volatile indexes refuse unless -f by their owner or root."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-y", dest="yes", action="store_true", help="assume 'yes' on confirmation questions"
    )
    parser.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="remove even on a non-volatile index (owner or root only)",
    )
    parser.add_argument("--index", default=None, help="index to remove from (default: current)")
    parser.add_argument(
        "spec_or_url",
        metavar="SPEC_OR_URL",
        help="NAME, NAME==VERSION (any specifier), or a file URL",
    )


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    force = options["force"]
    target = options["spec_or_url"]
    if target.startswith(("http://", "https://")):
        _remove_file(out, actor, target, force)
        return
    index = current.index_for(options["index"], acting=actor.username)
    spec = parse_spec(target)
    plan = cli_removal.plan_release_removal(index, spec, server_url())
    if not plan.versions:
        raise Invalid(
            f"No releases or distributions found matching {target!r} on {index.fullname}."
        )
    # the service's own check, asked before the question rather than after it
    removal_services.check_removal(actor=actor, index=index, force=force)
    out.line("About to remove the following releases and distributions")
    for version, urls in plan.versions:
        out.line(f"version: {version}")
        for url in urls:
            out.line(f"  - {url}")
    if not out.confirm("Are you sure"):
        out.warn("not deleting anything")
        return
    cli_removal.remove_releases(plan, force=force, actor=actor, progress=out.line)


def _remove_file(out: Console, actor: Any, url: str, force: bool) -> None:
    index, file = cli_removal.file_for_url(url)
    removal_services.check_removal(actor=actor, index=index, force=force)  # before asking
    out.line("About to remove the following file:")
    out.line(url)
    if not out.confirm("Are you sure"):
        out.warn("not deleting anything")
        return
    removal_services.release_file_delete(index=index, file=file, force=force, actor=actor)
    out.line(f"deleted {file.filename} from {index.fullname}")


VERB = Verb("remove", SUMMARY, DESCRIPTION, add_arguments, run)
