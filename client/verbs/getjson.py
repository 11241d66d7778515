"""``manage.py devpi getjson``: devpi's JSON for a path, read from the
database as the ``--as`` user."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import current
from ..console import Console, Verb
from ..getjson import getjson
from ..server import server_url

SUMMARY = "show devpi's JSON for a path: /, /USER, /USER/INDEX, ..."
DESCRIPTION = (
    "Show devpi's JSON for a path of this server, read from the database: /, /USER, "
    "/USER/INDEX, /USER/INDEX/PROJECT or /USER/INDEX/PROJECT/VERSION. A relative path "
    "is relative to the current index."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH_OR_URL", help="e.g. /USER/INDEX or PROJECT")


def run(out: Console, options: dict[str, Any]) -> None:
    data = getjson(
        options["path"],
        current_index=current.current_index_name(),
        base_url=server_url(),
        reader=out.actor(),
    )
    out.line(json.dumps(data, indent=2, sort_keys=True))


VERB = Verb("getjson", SUMMARY, DESCRIPTION, add_arguments, run)
