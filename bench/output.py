"""The run's output: the Markdown report and the results table in
``bench/README.md``."""

from __future__ import annotations

from pathlib import Path

from . import report
from .common import say


def render(results: dict, facts: dict, kind: str = "full") -> str:
    met, missed = report.summary(results)
    title = {
        "smoke": "smoke run (tiny data, devpi-django only; labels give the full run's sizes)",
        "tiny": "tiny run (tiny data; labels give the full run's sizes)",
    }.get(kind, "results")
    lines = [
        f"### Benchmark {title}: {facts['date']}",
        "",
        f"Machine: {facts['nproc']} cores ({facts['cpu'] or 'unknown CPU'}), "
        f"{facts['memory']} RAM, Linux {facts['kernel']}, Python {facts['python']}; "
        f"devpi-django {facts['devpi_django']} (commit {facts.get('commit', '?')}"
        + (f", {facts['ours_workers']} workers" if facts.get("ours_workers") else "")
        + "), "
        + (
            f"devpi-server {facts['devpi_server']}; "
            if facts.get("devpi_server")
            else "devpi-server not run; "
        )
        + f"load: {facts.get('load_tool', '?')}, {facts.get('load', '')}; run took "
        f"{facts.get('seconds', '?')} s; 1-minute load average "
        f"{facts.get('loadavg_at_start', '?')} before, {facts.get('loadavg_at_end', '?')} after.",
        "",
        report.table(results),
        "",
        f"Targets met: {len(met)}; missed: {len(missed)}.",
    ]
    lines += [f"- missed: {m}" for m in missed]
    return "\n".join(lines)


README_START = "<!-- bench-results:start -->"
README_END = "<!-- bench-results:end -->"


def update_readme(text: str) -> None:
    readme = Path(__file__).resolve().parent / "README.md"
    content = readme.read_text()
    if README_START not in content or README_END not in content:
        say("bench/README.md has no results markers; not updated")
        return
    head, rest = content.split(README_START, 1)
    _old, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{text}\n{README_END}{tail}")
    say("bench/README.md updated")
