"""Reads: tox results by URL, as ``+links``, as devpi-client's ``list -t``
lines and as rows for the web UI."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from indexes.distribution.hashpath import parse_hash_path
from indexes.models import Index, ReleaseFile

from . import reports
from .models import ToxEnvResult, ToxResult

if TYPE_CHECKING:
    from django.db.models import QuerySet

CHUNK = 500
STATUS_CLASS = {
    reports.PASSED: "passed",
    reports.TESTS_FAILED: "failed",
    reports.SETUP_FAILED: "setup-failed",
    reports.NO_TESTS: "unknown",
}


def toxresult_by_path(index: Index, hash_path: str) -> ToxResult | None:
    """The tox result at ``+f/<h[:3]>/<h[3:16]>/<file>.toxresult-...`` of ``index``."""
    parsed = parse_hash_path(hash_path)
    if parsed is None or ".toxresult-" not in parsed.filename:
        return None
    return (
        ToxResult.objects.filter(
            file__index=index, filename=parsed.filename, file__sha256__startswith=parsed.prefix
        )
        .select_related("file")
        .first()
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def toxresult_links(
    hrefs: dict[int, str], files: dict[int, ReleaseFile], base_url: str
) -> dict[int, list[dict]]:
    """devpi's ``toxresult`` links of release files (an ``indexes.registry``
    link provider): ``href`` in the file's hash directory, ``for_href`` the
    release file's own ``href``."""
    result: dict[int, list[dict]] = defaultdict(list)
    for ids in _chunks(sorted(hrefs)):
        rows = (
            ToxResult.objects.filter(file_id__in=ids)
            .only("id", "file_id", "filename", "sha256", "log")
            .order_by("id")
        )
        for row in rows:
            for_href = hrefs[row.file_id]
            result[row.file_id].append(
                {
                    "rel": "toxresult",
                    "href": f"{for_href.rsplit('/', 1)[0]}/{row.filename}",
                    "for_href": for_href,
                    "hash_spec": f"sha256={row.sha256}",
                    "hashes": {"sha256": row.sha256},
                    "log": row.log,
                }
            )
    return dict(result)


def _newest_envs(results: Iterable[ToxResult]) -> list[tuple[ToxResult, ToxEnvResult]]:
    """Newest report first; of each (host, platform, env) only the newest,
    as devpi-client's ``iter_toxresults``."""
    seen: set[tuple[str, str, str]] = set()
    picked = []
    for result in results:
        for env in sorted(result.envs.all(), key=lambda e: e.envname):
            key = (result.host, result.platform, env.envname)
            if key in seen:
                continue
            seen.add(key)
            picked.append((result, env))
    return picked


def _results_newest_first(file_ids: list[int]) -> QuerySet[ToxResult]:
    return (
        ToxResult.objects.filter(file_id__in=file_ids)
        .defer("report")
        .prefetch_related("envs")
        .order_by("-id")
    )


def toxresult_lines(file: ReleaseFile) -> list[str]:
    """The lines ``devpi list -t`` prints under a release file, as
    devpi-client 7 formats them (``%-10s %-7s %-10s`` for host, platform and
    env, then the Python version and the outcome), e.g.
    ``localhost  linux   py311      3.11.7 tests passed``. Newest result per
    (host, platform, env)."""
    lines: list[str] = []
    for result, env in _newest_envs(_results_newest_first([file.pk])):
        prefix = f"{result.host:<10} {result.platform:<7} {env.envname:<10}"
        if env.setup == reports.NONE:
            lines.append(f"{prefix} no setup was performed")
        elif env.setup == reports.FAILED:
            lines.append(f"{prefix} setup failed")
        if env.python_version:
            prefix = f"{prefix} {env.python_version}"
        if env.tests == reports.NONE:
            lines.append(f"{prefix} no tests were run")
        elif env.tests == reports.FAILED:
            lines.append(f"{prefix} tests failed")
        else:
            lines.append(f"{prefix} tests passed")
    return lines


@dataclass(frozen=True)
class ToxEnvRow:
    """One environment's newest outcome, for the web UI."""

    envname: str
    host: str
    platform: str
    pyversion: str
    status: str  # "tests passed", "tests failed", "setup failed", "no tests were run"
    status_class: str  # passed, failed, setup-failed, unknown
    when: datetime
    href_path: str  # the report's path after the index: "+f/<h3>/<h13>/<name>"


def toxresult_summaries(*, file_ids: list[int]) -> dict[int, list[ToxEnvRow]]:
    """Per release file id, the newest outcome of each (host, platform, env)."""
    by_file: dict[int, list[ToxResult]] = defaultdict(list)
    for ids in _chunks(sorted(set(file_ids))):
        for result in _results_newest_first(ids).select_related("file"):
            by_file[result.file_id].append(result)
    summaries: dict[int, list[ToxEnvRow]] = {}
    for file_id, results in by_file.items():
        summaries[file_id] = [
            ToxEnvRow(
                envname=env.envname,
                host=result.host,
                platform=result.platform,
                pyversion=env.python_version,
                status=reports.STATUS_TEXT[env.status],
                status_class=STATUS_CLASS[env.status],
                when=result.posted_at,
                href_path=f"+f/{result.hash_path}",
            )
            for result, env in _newest_envs(results)
        ]
    return summaries
