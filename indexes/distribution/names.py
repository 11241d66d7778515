"""Names: PEP 503 project normalisation and devpi's user/index name rules."""

from __future__ import annotations

import re
import unicodedata

import disarm
from packaging.utils import canonicalize_name

# devpi refuses control characters, spaces and this punctuation in user and
# index names; names starting with "+" are routes (+api, +simple, +f, ...).
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f !\"#$%&'()*+,/:;<=>?\[\\\]^`{|}~]")
_PROJECT_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)


def normalize_name(name: str) -> str:
    """The PEP 503 normalised form of a project name."""
    return canonicalize_name(name)


def is_valid_project_name(name: str) -> bool:
    """Whether ``name`` is a legal project name (core metadata's rule)."""
    # fullmatch: "$" would also accept a trailing newline
    return bool(_PROJECT_NAME.fullmatch(name or ""))


def _invisible(char: str) -> bool:
    """Control, format (bidi overrides, zero-width), surrogate, private-use,
    unassigned and separator characters, and anything Python calls space:
    characters that hide in a name or change how it reads."""
    return unicodedata.category(char)[0] in "CZ" or char.isspace()


def is_valid_user_or_index_name(name: str) -> bool:
    return (
        bool(name)
        and len(name) <= 150
        and not _FORBIDDEN.search(name)
        and not any(_invisible(char) for char in name)
    )


def name_skeleton(name: str) -> str:
    """The confusable skeleton of a user name (Unicode TR 39, after NFKC and
    case folding, by disarm): ``rооt`` with Cyrillic o's, ``ＲＯＯＴ`` and
    ``Root`` all give the skeleton of ``root``."""
    return disarm.skeleton_key(unicodedata.normalize("NFKC", name).casefold())


def split_index_name(spec: str) -> tuple[str, str] | None:
    """``"user/index"`` -> ``("user", "index")``; None when malformed."""
    if not isinstance(spec, str):
        return None
    parts = spec.strip().strip("/").split("/")
    if len(parts) != 2 or not all(is_valid_user_or_index_name(p) for p in parts):
        return None
    return parts[0], parts[1]
