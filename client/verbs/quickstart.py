"""``manage.py devpi quickstart``: a user and its index in one step, then
that index made current."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from django.db import transaction

from indexes import selectors
from indexes.services import indexes as index_services
from indexes.services import users as user_services

from .. import current
from ..console import PROG, Console, Verb
from ..server import index_url
from ..show import index_config_lines
from .use import show_current

SUMMARY = "create a user and its 'dev' index (bases=root/pypi) and use that index"
DESCRIPTION = (
    "Create a user (password empty unless given) and its index (default 'dev') with "
    "bases=root/pypi, then use that index."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", default=None, help="name of the user to create (default: your login name)"
    )
    parser.add_argument("--password", default="", help="its password (default: empty)")
    parser.add_argument(
        "--index",
        dest="index_name",
        default="dev",
        metavar="NAME",
        help="name of the index to create (default: dev)",
    )


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    username = options["user"] or _login_name()
    with transaction.atomic():
        user = user_services.user_create(
            username=username, data={"password": options["password"]}, actor=actor
        )
        # the right to create the user covers its first index
        index = index_services.index_create(
            owner=user, name=options["index_name"], data={"bases": "root/pypi"}
        )
    out.line(f"user created: {username}")
    for text in index_config_lines(index_url(index.fullname), selectors.index_config(index)):
        out.line(text)
    current.set_current_index(index.fullname)
    show_current(out, actor)
    cmd = f"python {PROG} --as {username}"
    out.line(f"COMPLETED!  you can now work with your {index.fullname!r} index")
    for text in (
        f"  {cmd} install PKG   # install a package through the index",
        f"  {cmd} upload        # build and upload the project here",
        f"  {cmd} test PKG      # download and test a tox-based project",
        f"  {cmd} push ...      # copy releases between indexes",
        f"  {cmd} index ...     # create and change indexes",
        f"  {cmd} use ...       # change the current index",
        f"  {cmd} user ...      # create and change users",
        f"  python {PROG} VERB -h  # help for a verb",
    ):
        out.line(text)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "test"


VERB = Verb("quickstart", SUMMARY, DESCRIPTION, add_arguments, run)
