"""``refresh`` and ``prefetch``: the mirrors an index reads from, and the
requirements a file names. The work itself is the mirror kind's
(``indexes.kinds``): indexes never imports mirror."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from indexes.errors import Invalid
from indexes.kinds import IndexKind, kind_for
from indexes.resolution import resolution_order

if TYPE_CHECKING:
    from indexes.models import Index

MAX_REQUIREMENTS_BYTES = 1024 * 1024
MAX_REQUIREMENTS = 10_000


def mirrors_of(index: Index) -> list[tuple[Index, IndexKind]]:
    """The mirror indexes in ``index``'s resolution order (itself first),
    each with its kind."""
    found = [
        (ix, kind)
        for ix in resolution_order(index)
        if ix.is_mirror and (kind := kind_for(ix)) is not None
    ]
    if not found:
        raise Invalid(f"{index.fullname} is not a mirror and has no mirror among its bases")
    return found


def requirement_lines(text: str) -> list[str]:
    """The requirements of a requirements file: comments, blank lines and
    pip options (``-r``, ``--hash``, ``-e``...) left out; continuation
    lines joined."""
    text = text.replace("\\\n", " ")
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        line = line.split(" --hash", 1)[0].strip()
        if line and not line.startswith("-"):
            lines.append(line)
    if len(lines) > MAX_REQUIREMENTS:
        raise Invalid(f"more than {MAX_REQUIREMENTS} requirements")
    return lines


def read_requirements(path: Path) -> list[str]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_REQUIREMENTS_BYTES:
        raise Invalid(f"{path}: larger than {MAX_REQUIREMENTS_BYTES} bytes")
    try:
        return requirement_lines(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise Invalid(f"{path}: not UTF-8 text") from None
