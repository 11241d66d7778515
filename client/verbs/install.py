"""``manage.py devpi install``: ``pip install`` from the index over HTTP,
with a short-lived token of the ``--as`` user in the index URL."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from indexes.errors import Invalid

from .. import current, procs
from ..console import Console, Verb
from ..server import Credentials, masked, simple_url

SUMMARY = "pip install packages from the index (over HTTP)"
DESCRIPTION = (
    "Run 'pip install -U -i <index>/+simple/' (pre-releases allowed, as devpi-client "
    "does) with a token of the --as user."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", default=None, help="index to install from (default: current)")
    parser.add_argument(
        "-l", dest="list_installed", action="store_true", help="list the installed packages"
    )
    parser.add_argument(
        "-e",
        dest="editable",
        default=None,
        metavar="ARG",
        help="install a project in editable mode",
    )
    parser.add_argument(
        "--venv",
        default=None,
        metavar="DIR",
        help="install into this virtualenv (default: the pip on PATH)",
    )
    parser.add_argument(
        "-r", "--requirement", action="store_true", help="the arguments are requirements files"
    )
    parser.add_argument("pkgspecs", nargs="*", metavar="PKG", help="what to install")


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    index = current.index_for(options["index"], acting=actor.username)
    pip = pip_command(options["venv"])
    if options["list_installed"]:
        code = procs.run_streaming(pip + ["list"], write=out.line)
        if code != 0:
            raise Invalid(f"pip list failed (exit code {code})")
        return
    pkgspecs = list(options["pkgspecs"])
    if options["editable"]:
        if pkgspecs:
            raise Invalid("cannot specify packages and --editable")
        pkgspecs = ["--editable", options["editable"]]
    if not pkgspecs:
        raise Invalid("nothing to install: name a package (or -l to list installed ones)")
    simpleindex = Credentials(actor).url(simple_url(index.fullname))
    cmd = pip + ["install", "-U", "-i", simpleindex]
    if options["requirement"]:
        cmd.append("--requirement")
    cmd.extend(pkgspecs)
    shown = [masked(part) if part == simpleindex else part for part in cmd]
    out.line(procs.command_line(shown, Path.cwd()) + "  [PIP_PRE=1]")
    code = procs.run_streaming(cmd, write=out.line, extra_env={"PIP_PRE": "1"})
    if code != 0:
        raise Invalid(f"pip install failed (exit code {code})")


def pip_command(venv: str | None) -> list[str]:
    """The pip of ``venv``, else the pip on PATH, else this Python's."""
    if venv:
        directory = Path(venv)
        if (directory / "bin" / "pip").is_file():
            return [str(directory / "bin" / "pip")]
        if (directory / "bin" / "python").exists():
            return [sys.executable, "-m", "pip", "--python", str(directory / "bin" / "python")]
        raise Invalid(f"no virtualenv at {venv}")
    found = shutil.which("pip")
    return [found] if found else [sys.executable, "-m", "pip"]


VERB = Verb("install", SUMMARY, DESCRIPTION, add_arguments, run)
