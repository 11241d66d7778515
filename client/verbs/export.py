"""``manage.py devpi export``: devpi-export's format, written to a new directory (root only)."""

from __future__ import annotations

import argparse
from typing import Any

from ..console import Console, Verb
from ..importexport import run_importexport

SUMMARY = "export everything in devpi-export's format, for devpi-import (root only)"
DESCRIPTION = (
    "Write users, indexes, releases, files, tox results and docs to a new (or empty) "
    "directory in devpi-export's format."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", help="the export directory: must not exist or be empty")


def run(out: Console, options: dict[str, Any]) -> None:
    run_importexport(out, "devpi_export", options["directory"])


VERB = Verb("export", SUMMARY, DESCRIPTION, add_arguments, run)
