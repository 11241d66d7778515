"""Release metadata as devpi keeps it: the keys twine's upload form sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

METADATA_KEYS = (
    "name",
    "version",
    "metadata_version",
    "summary",
    "home_page",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license",
    "description",
    "keywords",
    "platform",
    "classifiers",
    "download_url",
    "supported_platform",
    "comment",
    "provides",
    "requires",
    "obsoletes",
    "project_urls",
    "provides_dist",
    "obsoletes_dist",
    "requires_dist",
    "requires_external",
    "requires_python",
    "description_content_type",
    "provides_extras",
    "dynamic",
    "license_expression",
    "license_file",
)
LIST_KEYS = frozenset(
    (
        "platform",
        "classifiers",
        "supported_platform",
        "provides",
        "requires",
        "obsoletes",
        "project_urls",
        "provides_dist",
        "obsoletes_dist",
        "requires_dist",
        "requires_external",
        "provides_extras",
        "dynamic",
        "license_file",
    )
)
# form field -> metadata key, where twine's name differs from devpi's
FORM_ALIASES = {"provides_extra": "provides_extras"}


def metadata_from_form(
    get: Callable[[str], Any],
    getlist: Callable[[str], list],
    keys_present: set[str],
    *,
    only_present: bool,
) -> dict[str, Any]:
    """Metadata from an upload form. ``only_present``: skip keys the form lacks
    (an update of an existing release), else fill defaults (a new release)."""
    result: dict[str, Any] = {}
    for key in METADATA_KEYS:
        sources = [key] + [alias for alias, target in FORM_ALIASES.items() if target == key]
        present = [s for s in sources if s in keys_present]
        if only_present and not present:
            continue
        if key in LIST_KEYS:
            values: list[str] = []
            for source in present:
                values.extend(v for v in getlist(source) if v and v != "UNKNOWN")
            result[key] = values
        else:
            value = get(present[0]) if present else ""
            result[key] = "" if value in (None, "UNKNOWN") else str(value)
    return result
