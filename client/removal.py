"""``remove``: what a spec or file URL removes from one index (never from its
bases), and the removal itself through ``services.removal``, which decides
who may."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from indexes.distribution.hashpath import split_file_url
from indexes.errors import Invalid
from indexes.models import Index, Release, ReleaseFile
from indexes.selectors import index_get, release_file_by_path
from indexes.services import removal

from .specs import Spec, version_key


@dataclass
class RemovalPlan:
    index: Index
    project: str  # normalised
    whole_project: bool
    versions: list[tuple[str, list[str]]] = field(default_factory=list)  # (version, file URLs)


def plan_release_removal(index: Index, spec: Spec, base_url: str) -> RemovalPlan:
    """The versions of ``spec`` on ``index`` itself, oldest first (as devpi-client
    shows them), each with its files' URLs."""
    releases = {
        r.version: r
        for r in Release.objects.filter(project__index=index, project__name=spec.project)
    }
    files: dict[int, list[str]] = {}
    for f in ReleaseFile.objects.filter(release__in=list(releases.values())).order_by("filename"):
        files.setdefault(f.release_id, []).append(f"{base_url}/{index.fullname}/+f/{f.hash_path}")
    versions = [
        (v, files.get(releases[v].id, []))
        for v in sorted(releases, key=version_key)
        if spec.matches(v)
    ]
    return RemovalPlan(
        index=index,
        project=spec.project,
        whole_project=not spec.has_versions,
        versions=[(v, urls) for v, urls in versions if urls],
    )


def remove_releases(
    plan: RemovalPlan, *, force: bool, actor, progress: Callable[[str], None] = lambda line: None
) -> None:
    """Remove what ``plan`` names as ``actor`` (``services.removal`` refuses
    what that user may not remove)."""
    if plan.whole_project:
        for version, _urls in plan.versions:
            progress(f"deleting release {version} of {plan.project}")
        removal.project_delete(index=plan.index, project=plan.project, force=force, actor=actor)
        return
    for version, _urls in plan.versions:
        progress(f"deleting release {version} of {plan.project}")
        removal.release_delete(
            index=plan.index, project=plan.project, version=version, force=force, actor=actor
        )


def file_for_url(url: str) -> tuple[Index, ReleaseFile]:
    """The index and release file of a ``.../USER/NAME/+f/h/hash/FILE`` URL."""
    split = split_file_url(urlsplit(url).path)
    if split is None:
        raise Invalid(f"{url} is not a release file URL (.../USER/NAME/+f/...)")
    fullname, hash_path = split
    index = index_get(*fullname.split("/"))
    return index, release_file_by_path(index, hash_path)
