"""``manage.py devpi list``: the projects of an index, or the file URLs of a
project's matching versions (newest first), as the ``--as`` user reads them."""

from __future__ import annotations

import argparse
from typing import Any

from indexes import selectors

from .. import current, listing
from ..console import Console, Verb
from ..server import server_url
from ..specs import parse_spec

SUMMARY = "list projects of the index, or the files of a project's versions"
DESCRIPTION = (
    "Without a spec, list the projects of the index. With NAME or 'NAME==VERSION' (any "
    "specifier), list the URLs of the files of the matching versions, newest first, "
    "per index along the inheritance."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-t", "--toxresults", action="store_true", help="show tox results under each file"
    )
    parser.add_argument(
        "--all", action="store_true", help="show all versions instead of the newest three"
    )
    parser.add_argument("--index", default=None, help="index to look at (default: current)")
    parser.add_argument(
        "--ignore-bases",
        dest="ignore_bases",
        action="store_true",
        help="ignore releases from inherited bases",
    )
    parser.add_argument("spec", nargs="?", help="NAME, NAME==VERSION or e.g. 'NAME>=1.0'")


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    index = selectors.index_readable(
        current.index_for(options["index"], acting=actor.username), actor
    )
    if not options["spec"]:
        for name in selectors.index_project_names(index):
            out.line(name)
        return
    spec = parse_spec(options["spec"])
    rows = listing.project_files(index, spec, server_url(), ignore_bases=options["ignore_bases"])
    shown, hidden = listing.limit_versions(rows, options["all"])
    for _version, files in shown:
        for item in files:
            out.line(item.url)
            if options["toxresults"]:
                for text in listing.toxresult_lines(item.file):
                    out.line(text)
    if hidden:
        out.line(f"{hidden} older versions not shown, use --all to see")


VERB = Verb("list", SUMMARY, DESCRIPTION, add_arguments, run)
