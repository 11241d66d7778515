"""The benchmark's code paths on tiny data (``python -m bench --smoke --scale``),
so ``make bench`` cannot rot: devpi-django only, 1 s of load per figure (wrk,
or a Python loop when wrk is missing), the scale step's management command
on a few hundred rows. Figures are not judged; every row must be there."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.report import ROWS
from tests.live import REPO

pytestmark = pytest.mark.live


def test_bench_smoke_run_has_every_row(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--scale", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    for row in ROWS:
        assert f"| {row.label} " in proc.stdout, row.label
    results = json.loads((tmp_path / "results.json").read_text())["results"]
    missing = [key for key in (row.key for row in ROWS) if results[key].get("ours") is None]
    assert not missing, missing
    for key in ("page_html_rps", "page_json_rps", "list_html_rps", "list_json_rps"):
        assert results[key]["bare"] > 0
    assert (tmp_path / "results.md").read_text().startswith("### Benchmark smoke run")
