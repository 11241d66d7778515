"""The mirror's cache policy: project pages fetched on demand and refreshed
after ``mirror_cache_expiry``, files fetched once and verified, the project
list fetched in the background, stale data served when the upstream fails.

The parts live in ``pages``, ``files`` (with ``metadata``) and ``listing``
(with what they share in ``common``); this module is the mirror's service interface, and
holds prefetch and status, which use them all.
"""

from __future__ import annotations

from typing import Protocol

from django.db.models import Count, Sum

from indexes.distribution.names import normalize_name
from indexes.fileserving import Served
from indexes.models import Index
from indexes.serverstate import server_state

from .common import MirrorIntegrityError, _cached, _record_contact
from .files import mirror_external_file, mirror_fetch_file, mirror_file
from .listing import mirror_project_list_refresh, mirror_project_list_schedule, mirror_project_names
from .models import MirrorFile, MirrorProject, MirrorProjectList, MirrorState
from .pages import external_dir, mirror_project_invalidate, mirror_project_page

__all__ = [
    "MirrorIntegrityError",
    "external_dir",
    "mirror_fetch_file",
    "mirror_prefetch",
    "mirror_project_invalidate",
    "mirror_project_list_refresh",
    "mirror_project_list_schedule",
    "mirror_project_names",
    "mirror_project_page",
    "mirror_external_file",
    "mirror_file",
    "mirror_serve_file",
    "mirror_status",
    "_record_contact",
]


class Asking(Protocol):
    method: str


def mirror_serve_file(ask: Asking, index: Index, path: str) -> Served:
    """``mirror_file`` for a caller that holds a request (``ask.method``) and
    not the serial: it is read here."""
    return mirror_file(index, path, serial=server_state()[1], head=ask.method == "HEAD")


def mirror_prefetch(index: Index, requirements: list[str]) -> dict[str, list[str]]:
    """Fetch the pages and the files of the newest matching version of each
    requirement into the cache. Returns {requirement: [filenames stored]}."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    result: dict[str, list[str]] = {}
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            result[line] = []
            continue
        name = normalize_name(req.name)
        page = mirror_project_page(index, name)
        cached = _cached(index, name)
        if page is None or cached is None:
            result[line] = []
            continue
        candidates = []
        for link in cached.links:
            try:
                version = Version(link["version"])
            except InvalidVersion:
                continue
            if link["yanked"] or not link["sha256"]:
                continue
            if req.specifier.contains(version, prereleases=bool(req.specifier)):
                candidates.append((version, link))
        if not candidates:
            result[line] = []
            continue
        best = max(v for v, _ in candidates)
        stored = []
        for version, link in candidates:
            if version == best and mirror_fetch_file(index, name, link):
                stored.append(link["filename"])
        result[line] = stored
    return result


# -- status ------------------------------------------------------------------


def mirror_status(index: Index) -> dict:
    state = MirrorState.objects.filter(index=index).first()
    files = MirrorFile.objects.filter(index=index).aggregate(n=Count("id"), size=Sum("size"))
    listing = MirrorProjectList.objects.filter(index=index).only("count", "fetched_at").first()
    return {
        "upstream": index.config.get("mirror_url"),
        "last_contact": state.last_contact.isoformat() if state and state.last_contact else None,
        "last_error": state.last_error if state and state.last_error else None,
        "last_error_at": (
            state.last_error_at.isoformat()
            if state and state.last_error_at and state.last_error
            else None
        ),
        "cached_projects": MirrorProject.objects.filter(index=index, exists=True).count(),
        "cached_files": files["n"] or 0,
        "cached_bytes": files["size"] or 0,
        "project_list_size": listing.count if listing and listing.fetched_at else None,
        "project_list_fetched": (
            listing.fetched_at.isoformat() if listing and listing.fetched_at else None
        ),
    }
