"""The client flows, side by side on each server: pip and uv from a stage,
pip and uv through the mirror, and several pip clients at once on a cold
mirror. Each cold figure uses upstream projects that no run asked for
before, so each server's mirror is cold for it."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from .clients import pip_concurrent, pip_download, uv_install
from .common import USER, Sizes, say

if TYPE_CHECKING:
    from .harness import Run


def upstream_names(sizes: Sizes) -> dict[str, list[str]]:
    """The local upstream's project sets, one per cold figure."""
    return {
        "mirror": [f"mirror-{i:02d}" for i in range(sizes.mirror_packages)],
        "uv": [f"uvmirror-{i:02d}" for i in range(sizes.uv_packages)],
        "concurrent": [f"conc-{i:02d}" for i in range(sizes.concurrent_packages)],
    }


def measure_pip(run: Run, data: dict) -> None:
    s = run.sizes
    names = [n for _p, n, _v in data["dl"]]
    for column, server in run.servers.items():
        index = ["-i", f"{server.url}/{USER}/dev/+simple/"]
        say(f"pip download of {len(names)} from {column}'s stage")
        run.put(
            "pip_stage_cold",
            column,
            pip_download(run.work, index, names, f"pip download from {column}"),
        )
        warm = [
            pip_download(run.work, index, names, f"pip download from {column}")
            for _ in range(s.pip_repeats)
        ]
        run.put("pip_stage_warm", column, statistics.median(warm))
    say("pip from a local folder (the floor)")
    floor = [
        pip_download(
            run.work,
            ["--no-index", "--find-links", run.work / "wheels" / "floor"],
            names,
            "pip download --find-links",
        )
        for _ in range(s.pip_repeats)
    ]
    run.put("pip_floor", "ours", statistics.median(floor))
    run.results["pip_floor"]["note"] = "one figure, client only"


def measure_uv(run: Run, data: dict, mirror_names: list[str]) -> None:
    """uv from the stage (warm: the pages were asked for by pip before), and
    uv through the mirror on projects nobody fetched yet (cold)."""
    s = run.sizes
    names = [n for _p, n, _v in data["dl"]]
    for column, server in run.servers.items():
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
    s = run.sizes
    for column, server in run.servers.items():
        index = ["-i", f"{server.url}/root/pypi/+simple/"]
        say(f"pip download of {len(names)} through {column}'s mirror")
        run.put(
            "mirror_cold",
            column,
            pip_download(run.work, index, names, f"pip via {column}'s mirror"),
        )
        warm = [
            pip_download(run.work, index, names, f"pip via {column}'s mirror")
            for _ in range(s.pip_repeats)
        ]
        run.put("mirror_warm", column, statistics.median(warm))


def measure_concurrent(run: Run, names: list[str]) -> None:
    """``concurrent_clients`` pip processes at once, each downloading all of
    ``names`` through a mirror that has none of them yet."""
    clients = run.sizes.concurrent_clients
    notes = []
    for column, server in run.servers.items():
        say(f"{clients} pip clients at once through {column}'s cold mirror")
        seconds, failures = pip_concurrent(
            run.work / f"concurrent-{column}",
            f"{server.url}/root/pypi/+simple/",
            names,
            clients,
            f"{clients} clients via {column}'s mirror",
        )
        run.put("mirror_concurrent_cold", column, seconds)
        if failures:
            say(f"  {len(failures)} of {clients} clients failed on {column}: {failures[0]}")
            label = {"ours": "devpi-django", "devpi": "devpi-server"}.get(column, column)
            notes.append(f"{label}: {len(failures)} of {clients} clients failed")
    if notes:
        run.results["mirror_concurrent_cold"]["note"] = "; ".join(notes)
