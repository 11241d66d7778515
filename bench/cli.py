"""The command line of the benchmark run (``python -m bench``)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from tests.live import REPO

from .common import FULL, SMOKE
from .harness import Run
from .harness import __doc__ as HARNESS_DOC

STEPS = ("pages", "twine", "pip", "mirror", "uv", "concurrent")


def _steps(value: str) -> set[str]:
    chosen = {step.strip() for step in value.split(",") if step.strip()}
    unknown = chosen - set(STEPS)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown step(s) {sorted(unknown)}; choose from {STEPS}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    description = (HARNESS_DOC or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench", description=description)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny data, 1 s of load, devpi-django only (the test suite's run)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="the smoke run's tiny data, but both servers and the full set-up "
        "(a quick check of the whole harness)",
    )
    parser.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also run the scale step (100,000 projects, 1,000,000 files; "
        "tiny numbers with --smoke)",
    )
    parser.add_argument(
        "--out",
        default=str(REPO / "build" / "bench"),
        help="where the venv, data and results go (default build/bench)",
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="write the results table into bench/README.md"
    )
    parser.add_argument(
        "--only",
        type=_steps,
        default=None,
        metavar="STEP,...",
        help="measure only these steps, comma-separated, of: " + ", ".join(STEPS) + " (on a "
        "busy machine, the rows you need; the fill, memory and disk figures always run)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="seconds of load per figure (default 10; 1 with --smoke)",
    )
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke or args.tiny else FULL
    if args.seconds:
        sizes = replace(sizes, load_seconds=args.seconds)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    return Run(args, sizes).execute()
