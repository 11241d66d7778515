"""Profile of the cached simple page path: where a request's instructions go.

    .venv/bin/python -m bench.profile_pages                 # instructions per request
    .venv/bin/python -m bench.profile_pages --cprofile 15   # and cProfile's top functions

Fills a throw-away data directory with the benchmark's pages (``user/stable``
with ``bench-page`` 0.0-0.9, ``user/dev`` with bases ``user/stable`` and
``root/pypi`` and ``bench-page`` 1.0-1.49, so 60 links; ``user/many`` with
2,000 projects of one wheel each), as rows (no uploads, no HTTP), then sends
each of the four pages of the benchmark (project page and index list, HTML and
PEP 691 JSON) through devpi-django's WSGI application in-process, and the same
bytes through ``bench/bare_app.py``'s view. The first request of each page
builds its cache entry and is not counted.

Instruction counts come from valgrind's callgrind, switched on only around the
measured requests (a small C helper with callgrind's client requests, built
with ``cc`` into the data directory); they are stable on a loaded machine,
wall time is not. Without valgrind or a C compiler, only cProfile and the
query counts are reported. Takes well under a minute. The child side (what
runs under valgrind) is ``bench/profile_child.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.profile_child import child

REPO = Path(__file__).resolve().parent.parent

MARKER_C = r"""
#include <valgrind/callgrind.h>
void marker_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void marker_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
void marker_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
"""


def _build_marker(data: Path) -> str | None:
    if shutil.which("valgrind") is None or shutil.which("cc") is None:
        return None
    source = data / "marker.c"
    source.write_text(MARKER_C)
    library = data / "marker.so"
    done = subprocess.run(
        ["cc", "-shared", "-fPIC", "-O1", "-o", str(library), str(source)],
        capture_output=True,
        text=True,
    )
    return str(library) if done.returncode == 0 else None


def _run(
    target: str,
    data: Path,
    env: dict,
    *,
    requests: int,
    fill: bool = False,
    cprofile: int = 0,
    marker: str | None = None,
    without=(),
) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "bench.profile_pages",
        "--child",
        target,
        "--data",
        str(data),
        "--requests",
        str(requests),
    ]
    for name in without:
        cmd += ["--without", name]
    if fill:
        cmd.append("--fill")
    if cprofile:
        cmd += ["--cprofile", str(cprofile)]
    out_file = data / f"callgrind.{target}"
    if marker:
        cmd = (
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                "--quiet",
                f"--callgrind-out-file={out_file}.%p",
            ]
            + cmd
            + ["--marker", marker]
        )
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{target} child failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    if fill:
        return {}
    results = json.loads(done.stdout.strip().splitlines()[-1])
    if marker:
        _read_dumps(results, data, target, requests)
    return results


def _read_dumps(results: dict, data: Path, target: str, requests: int) -> None:
    """Instructions per request into ``results``, from callgrind's dumps:
    one per figure, in order (marker_stop), numbered .1, .2, ..."""
    dumps = sorted(
        data.glob(f"callgrind.{target}.*.*"), key=lambda p: int(p.name.rsplit(".", 1)[1])
    )
    for entry, dump in zip(results.values(), dumps, strict=False):
        for line in dump.read_text().splitlines():
            if line.startswith("totals:"):
                entry["instructions"] = int(line.split()[1]) / requests
                break
    if not os.environ.get("PROFILE_KEEP_DUMPS"):
        for dump in data.glob(f"callgrind.{target}.*"):
            dump.unlink()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=50, help="measured requests per page (default 50)"
    )
    parser.add_argument(
        "--cprofile",
        type=int,
        default=0,
        metavar="N",
        help="also print cProfile's top N functions (by own time) per page",
    )
    parser.add_argument("--no-callgrind", action="store_true", help="skip instruction counts")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the data directory (with PROFILE_KEEP_DUMPS=1 in the environment, "
        "callgrind's dumps too, one per figure, for callgrind_annotate)",
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="CLASS",
        help="leave this middleware class out of devpi-django's MIDDLEWARE "
        "(repeatable; to see what one costs)",
    )
    parser.add_argument("--child", choices=("django", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--marker", help=argparse.SUPPRESS)
    return parser


def _child_env(data: Path) -> dict[str, str]:
    """The children's environment: no settings of the caller's server, a
    data directory of their own, an upstream nobody answers on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEVPI_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    env.update(
        {
            "DEVPI_DATA_DIR": str(data / "server"),
            "DEVPI_ROOT_PASSWORD": "root",
            "DEVPI_MIRROR_URL": "http://127.0.0.1:9/simple/",
            "DEVPI_ALLOW_PRIVATE_UPSTREAMS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "devpi_django.settings",
            "PYTHONHASHSEED": "0",
        }
    )
    return env


def _collect(args, data: Path, env: dict[str, str], marker: str | None) -> dict:
    """page -> target ("django", "bare") -> figures, from one child per
    target and kind of measurement."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for target in ("django", "bare"):
        if args.cprofile:
            for name, entry in _run(
                target,
                data,
                env,
                requests=args.requests,
                cprofile=args.cprofile,
                without=args.without,
            ).items():
                print(
                    f"== {target}: {name}: {entry['calls']:.0f} calls a request"
                    + (f", {entry['queries']} queries" if "queries" in entry else "")
                )
                print(entry["profile"])
                table.setdefault(name, {})[target] = entry
        if marker:
            for name, entry in _run(
                target, data, env, requests=args.requests, marker=marker, without=args.without
            ).items():
                table.setdefault(name, {}).setdefault(target, {}).update(entry)
        elif not args.cprofile:
            for name, entry in _run(target, data, env, requests=1).items():
                table.setdefault(name, {}).setdefault(target, {}).update(entry)
    return table


def _print_table(table: dict) -> None:
    print(
        "| page | bytes | queries | devpi-django instr./request | bare instr./request "
        "| bare/devpi-django |"
    )
    print("|---|---|---|---|---|---|")
    for name, row in table.items():
        dj, bare = row.get("django", {}), row.get("bare", {})
        di, bi = dj.get("instructions"), bare.get("instructions")
        print(
            f"| {name} | {dj.get('bytes', '')} | {dj.get('queries', '')} | "
            f"{f'{di:,.0f}' if di else '-'} | {f'{bi:,.0f}' if bi else '-'} | "
            f"{f'{bi / di:.2f}' if di and bi else '-'} |"
        )


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        child(args)
        return 0

    data = Path(tempfile.mkdtemp(prefix="devpi-profile-"))
    env = _child_env(data)
    try:
        _run("django", data, env, requests=1, fill=True)
        marker = None if args.no_callgrind else _build_marker(data)
        _print_table(_collect(args, data, env, marker))
    finally:
        if args.keep:
            print(f"data kept in {data}", file=sys.stderr)
        else:
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
