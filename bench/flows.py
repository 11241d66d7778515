"""The client flows, side by side on each server: pip and uv from a stage,
pip and uv through the mirror, and several pip clients at once on a cold
mirror. Each cold figure uses upstream projects that no run asked for
before, so each server's mirror is cold for it."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from .clients import pip_concurrent, pip_download, uv_install
from .common import COLUMN_LABELS, USER, Sizes, say

CONCURRENT_RERUNS = 10  # a failed client of the rerun figure is run again up to this often

if TYPE_CHECKING:
    from .harness import Run


def upstream_names(sizes: Sizes) -> dict[str, list[str]]:
    """The local upstream's project sets, one per cold figure."""
    return {
        "mirror": [f"mirror-{i:02d}" for i in range(sizes.mirror_packages)],
        "uv": [f"uvmirror-{i:02d}" for i in range(sizes.uv_packages)],
        "concurrent": [f"conc-{i:02d}" for i in range(sizes.concurrent_packages)],
        "rerun": [f"rerun-{i:02d}" for i in range(sizes.concurrent_packages)],
    }


def _first_then_median(
    run: Run, column: str, index_url: str, names: list[str], keys: tuple[str, str], label: str
) -> None:
    """``pip download`` of ``names`` from ``index_url``: the first run under
    ``keys[0]``, the median of the repeats after it under ``keys[1]``."""
    index = ["-i", index_url]
    run.put(keys[0], column, pip_download(run.work, index, names, label))
    repeats = [pip_download(run.work, index, names, label) for _ in range(run.sizes.pip_repeats)]
    run.put(keys[1], column, statistics.median(repeats))


def measure_pip(run: Run, data: dict) -> None:
    s = run.sizes
    names = [n for _p, n, _v in data["dl"]]
    floor_args = ["--no-index", "--find-links", run.work / "wheels" / "floor"]
    # untimed: the first pip process of the run reads pip's modules from disk
    # (0.96 s from the local folder where the next runs took 0.82 s), which
    # would land on the first server's first run only
    pip_download(run.work, floor_args, names, "pip download --find-links (warm-up)")
    for column, server in run.client_servers.items():
        say(f"pip download of {len(names)} from {column}'s stage")
        _first_then_median(
            run,
            column,
            f"{server.url}/{USER}/dev/+simple/",
            names,
            ("pip_stage_cold", "pip_stage_warm"),
            f"pip download from {column}",
        )
    say("pip from a local folder (the floor)")
    floor = [
        pip_download(run.work, floor_args, names, "pip download --find-links")
        for _ in range(s.pip_repeats)
    ]
    run.put("pip_floor", "ours", statistics.median(floor))
    run.results["pip_floor"]["note"] = "one figure, client only"


def measure_uv(run: Run, data: dict, mirror_names: list[str]) -> None:
    """uv from the stage (warm: the pages were asked for by pip before), and
    uv through the mirror on projects nobody fetched yet (cold)."""
    s = run.sizes
    names = [n for _p, n, _v in data["dl"]]
    for column, server in run.client_servers.items():
        url = f"{server.url}/{USER}/dev/+simple/"
        say(f"uv pip install of {len(names)} from {column}'s stage")
        warm = [uv_install(run.work, url, names, f"uv from {column}") for _ in range(s.pip_repeats)]
        run.put("uv_stage_warm", column, statistics.median(warm))
        say(f"uv pip install of {len(mirror_names)} through {column}'s cold mirror")
        run.put(
            "uv_mirror_cold",
            column,
            uv_install(
                run.work,
                f"{server.url}/root/pypi/+simple/",
                mirror_names,
                f"uv via {column}'s mirror",
            ),
        )


def measure_mirror(run: Run, names: list[str]) -> None:
    for column, server in run.client_servers.items():
        say(f"pip download of {len(names)} through {column}'s mirror")
        _first_then_median(
            run,
            column,
            f"{server.url}/root/pypi/+simple/",
            names,
            ("mirror_cold", "mirror_warm"),
            f"pip via {column}'s mirror",
        )


def measure_concurrent(run: Run, names: list[str], rerun_names: list[str]) -> None:
    """``concurrent_clients`` pip processes at once, each downloading all of
    ``names`` through a mirror that has none of them yet; then the same on
    ``rerun_names`` with a failed client run again until it succeeds.

    devpi-server (6.20.3) answers a client that asks for a project while
    another request fetches it with an empty page ("from versions: none"):
    the waiting request's read transaction began before the fetch was
    committed and its in-memory retrieval time says "fetched", so it finds
    neither links nor a reason to fetch. A failed client ends early, so the
    first figure flatters a server that drops clients; the second is the
    time until every client has its files, as a CI job that is retried."""
    clients = run.sizes.concurrent_clients
    for key, names_, reruns in (
        ("mirror_concurrent_cold", names, 0),
        ("mirror_concurrent_rerun", rerun_names, CONCURRENT_RERUNS),
    ):
        notes = []
        for column, server in run.client_servers.items():
            say(f"{clients} pip clients at once through {column}'s cold mirror (reruns: {reruns})")
            seconds, failures, repeated = pip_concurrent(
                run.work / f"{key}-{column}",
                f"{server.url}/root/pypi/+simple/",
                names_,
                clients,
                f"{clients} clients via {column}'s mirror",
                reruns=reruns,
            )
            run.put(key, column, seconds)
            label = COLUMN_LABELS.get(column, column)
            if failures and not reruns:
                say(f"  {len(failures)} of {clients} clients failed on {column}: {failures[0]}")
                notes.append(f"{label}: {len(failures)} of {clients} clients failed")
            elif failures:
                say(f"  {repeated} runs repeated on {column}: {failures[0]}")
                notes.append(f"{label}: {repeated} client runs repeated")
        if notes:
            run.results[key]["note"] = "; ".join(notes)
