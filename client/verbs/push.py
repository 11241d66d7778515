"""``manage.py devpi push``: copy a release with its files to another index,
or upload them to the repository of a ``.pypirc`` section (``pypi:REPO``).
``services.push`` decides who may."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from indexes import selectors
from indexes.errors import DevpiError, Invalid
from indexes.services import push

from .. import current, pypirc
from ..console import Console, Verb
from ..docs import add_docs_flags, docs_flags
from ..specs import parse_release

SUMMARY = "copy a release with its files to another index or to a .pypirc repository"
DESCRIPTION = (
    "Copy a release and its files (tox results, docs) from the index to another index "
    "(USER/NAME), or upload its files to the repository of a .pypirc section "
    "(pypi:REPO)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index", default=None, help="index to push from (default: current)")
    add_docs_flags(
        parser,
        no_docs="do not push documentation, only release files",
        only_docs="push only documentation, no release files",
    )
    parser.add_argument(
        "--pypirc",
        default=None,
        metavar="PATH",
        help="path to the .pypirc file (default: ~/.pypirc)",
    )
    parser.add_argument(
        "--register-project",
        dest="register_project",
        action="store_true",
        help="register the project before uploading to a pypi:REPO target",
    )
    parser.add_argument("pkgspec", metavar="NAME==VERSION", help="the release to push")
    parser.add_argument("target", metavar="TARGET", help="USER/NAME or pypi:REPO")


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    name, version, old_style = parse_release(options["pkgspec"])
    if old_style:
        out.warn(
            "Old style package specification is deprecated, use this form: "
            "your-pkg-name==your.version.specifier"
        )
    _with_docs, no_docs, only_docs = docs_flags(options)
    source = current.index_for(options["index"], acting=actor.username)
    target = options["target"]
    try:
        if target.startswith("pypi:"):
            path = Path(options["pypirc"]) if options["pypirc"] else pypirc.default_pypirc()
            repository = pypirc.read_repository(path, target[len("pypi:") :])
            out.line(f"using pypirc {path}")
            if repository.default_url:
                out.line(f"using default pypi url {repository.url}")
            actions = push.release_push_external(
                source=source,
                project=name,
                version=version,
                posturl=repository.url,
                username=repository.username,
                password=repository.password,
                user=actor,
                no_docs=no_docs,
                only_docs=only_docs,
                register_project=options["register_project"],
            )
        else:
            if options["register_project"]:
                raise Invalid("--register-project only applies to pypi:REPO targets")
            if target.strip("/").count("/") != 1:
                raise Invalid(f"target {target!r} not of form USER/NAME or pypi:REPONAME")
            actions = push.release_push(
                source=source,
                project=name,
                version=version,
                target=selectors.index_get_by_fullname(target),
                user=actor,
                no_docs=no_docs,
                only_docs=only_docs,
            )
    except DevpiError as exc:
        # an external push that failed part way says how far it got
        show_actions(out, getattr(exc, "actionlog", None) or [])
        raise
    if not show_actions(out, actions):
        raise CommandError("Failure during push")


def show_actions(out: Console, actions: list) -> bool:
    """Print devpi's actionlog lines; False if any of them failed."""
    ok = True
    for action in actions:
        for part in " ".join(str(item) for item in action).split("\n"):
            out.line("   " + part)
        ok = ok and str(action[0]) in ("200", "201", "410")
    return ok


VERB = Verb("push", SUMMARY, DESCRIPTION, add_arguments, run)
