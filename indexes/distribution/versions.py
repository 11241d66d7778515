"""Version ordering as devpi's ``get_sorted_versions``: PEP 440 order, newest
first; versions that ``packaging`` cannot parse sort below all others."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.version import InvalidVersion, Version


def version_key(version: str) -> tuple[int, Version, str]:
    """Sort key: PEP 440 order; versions that ``packaging`` cannot parse sort
    below all others. Equal keys (``1.0`` and ``1.0.0``, or two unparseable
    versions) are ordered by their text, so every sort is deterministic."""
    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, Version("0"), version)


def is_stable(version: str) -> bool:
    """Neither a pre-release nor a development release (nor unparseable)."""
    try:
        return not Version(version).is_prerelease
    except InvalidVersion:
        return False


def sorted_versions(versions: Iterable[str], *, stable: bool = False) -> list[str]:
    """Newest first; ``stable`` leaves out pre-releases and dev releases."""
    result = sorted(versions, key=version_key, reverse=True)
    if stable:
        result = [v for v in result if is_stable(v)]
    return result
