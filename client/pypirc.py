"""``.pypirc`` sections for ``push NAME==VERSION pypi:REPO``."""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from indexes.errors import Invalid, NotFound

DEFAULT_REPOSITORY = "https://upload.pypi.org/legacy/"


@dataclass(frozen=True)
class Repository:
    url: str
    username: str
    password: str
    default_url: bool  # no ``repository`` key: the public index's upload URL


def default_pypirc() -> Path:
    return Path.home() / ".pypirc"


def read_repository(path: Path, name: str) -> Repository:
    if not path.is_file():
        raise NotFound(f"no pypirc file found at: {path}")
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot read {path}: {exc}") from None
    if not parser.has_section(name):
        raise NotFound(f"no section [{name}] in {path}")
    section = parser[name]
    username = section.get("username", "").strip()
    if not username:
        raise Invalid(f"section [{name}] of {path} has no username")
    password = section.get("password")
    if password is None:
        raise Invalid(
            f"section [{name}] of {path} has no password (this command does not prompt for one)"
        )
    url = section.get("repository", "").strip()
    return Repository(
        url=url or DEFAULT_REPOSITORY, username=username, password=password, default_url=not url
    )
