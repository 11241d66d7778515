"""The benchmark run: set-up, fill, measure, report.

    python -m bench [--scale] [--smoke] [--out DIR] [--update-readme]

Starts a local upstream index, devpi-server (its own venv, fresh data) and
devpi-django (gunicorn, fresh data) on 127.0.0.1, fills both through the same
devpi API calls with the same generated wheels, measures both, then the bare
Django view and nginx serving the same page bytes, and prints one table.

Exit status: 0 when everything ran (missed targets are reported, not
failures); 2 when a server could not be set up or started; 3 when a client
(wrk, pip, uv, twine, an API call) failed; a failed one of the concurrent
pip clients is noted next to its figure instead.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
import traceback
from pathlib import Path

import requests

from devpi_django.env import default_web_concurrency
from tests.upstream import start_upstream

from . import flows, load, report
from .api import ApiError, DevpiApi
from .clients import check_page, timed_get, twine_upload
from .common import FULL, JSON, PAGE_PROJECT, USER, ClientError, Sizes, say
from .data import ensure_tools, fill, machine_facts, make_data
from .output import render, update_readme
from .procmem import TreeMemory, disk_usage_mib
from .servers import (
    BenchServer,
    OurServer,
    Started,
    StartError,
    install_devpi_server,
    manage,
    nginx_binary,
    start_bare_django,
    start_devpi_django,
    start_devpi_server,
    start_nginx,
)

# devpi-server offering what devpi-django offers to pip: PEP 658/714 core
# metadata for the wheels of its stages, and through its mirror the
# metadata the upstream announces. With it pip asks both servers for the same
# 3 URLs per project (page, .metadata, wheel); by default devpi-server offers
# no metadata and pip asks it for 2.
DEVPI_META_ARGS = ("--enable-core-metadata",)
DEVPI_META_MIRROR = {"mirror_provides_core_metadata": True}


class Run:
    def __init__(self, args, sizes: Sizes):
        self.args = args
        self.sizes = sizes
        self.smoke = args.smoke
        self.out = Path(args.out).resolve()
        self.work = self.out / "run"
        self.results: dict[str, dict] = {key: {} for key in report.ROW_KEYS}
        self.facts = machine_facts()
        self.facts["load"] = (
            f"{sizes.connections} connections, {sizes.load_rounds} round(s) "
            f"of {sizes.load_seconds:g} s per figure, req/s of the best round, latency medians"
        )
        self.started = Started()
        self.servers: dict[str, BenchServer] = {}  # "ours" / "devpi" -> server
        # the servers the client flows (pip, uv, the mirror) run against: the
        # above and devpi-server with its PEP 658 support on ("devpi_meta")
        self.client_servers: dict[str, BenchServer] = {}
        self.memory: dict[str, TreeMemory] = {}

    def put(self, key: str, column: str, value) -> None:
        self.results[key][column] = value

    def load_rounds(
        self, what: str, targets: list[tuple[str, str]], accept: str | None
    ) -> dict[str, tuple[float, float, float]]:
        """Load on each (column, url) in turn, round after round, so that
        whatever else the machine does hits every target alike; per column
        the best round's req/s (other work on the machine only ever lowers a
        rate: on this VM a round now and then runs at a third of the others',
        for any target) and the medians over the rounds of p50 and p99 (ms)."""
        s = self.sizes
        runs: dict[str, list[load.LoadResult]] = {column: [] for column, _url in targets}
        if s.warmup_seconds:
            for _column, url in targets:
                load.measure(
                    url,
                    accept=accept,
                    connections=s.connections,
                    seconds=s.warmup_seconds,
                    warmup=0,
                    allow_fallback=self.smoke,
                )
        for number in range(s.load_rounds):
            say(
                f"load: {what}, round {number + 1} of {s.load_rounds}: "
                f"{', '.join(c for c, _u in targets)}"
            )
            for column, url in targets:
                result = load.measure(
                    url,
                    accept=accept,
                    connections=s.connections,
                    seconds=s.load_seconds,
                    warmup=0,
                    allow_fallback=self.smoke,
                )
                runs[column].append(result)
                self.facts.setdefault("load_tool", result.tool)
                if result.errors:
                    errors = self.facts.setdefault("socket_errors", {})
                    errors[f"{what}/{column}"] = errors.get(f"{what}/{column}", 0) + result.errors
        rounds = self.facts.setdefault("rounds_rps", {})
        figures = {}
        for column, results in runs.items():
            rounds[f"{what}/{column}"] = [round(r.rps) for r in results]
            figures[column] = (
                max(r.rps for r in results),
                statistics.median(r.p50_ms for r in results),
                statistics.median(r.p99_ms for r in results),
            )
        return figures

    def execute(self) -> int:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        setup_log = open(self.out / "setup.log", "a")
        began = time.monotonic()
        try:
            if not self.smoke:
                ensure_tools(setup_log)
                say(f"installing the current devpi-server into {self.out / 'devpi-venv'}")
                self.facts["devpi_server"] = install_devpi_server(
                    self.out / "devpi-venv", setup_log
                )
            self.measure_all()
        except StartError as exc:
            say(f"a server could not be started: {exc}")
            return 2
        except (
            ClientError,
            ApiError,
            load.LoadError,
            subprocess.TimeoutExpired,
            requests.RequestException,
        ) as exc:
            say(f"a client failed: {exc}")
            traceback.print_exc()
            return 3
        finally:
            self.started.stop_all()
            setup_log.close()
        self.facts["seconds"] = round(time.monotonic() - began)
        self.facts["loadavg_at_end"] = round(os.getloadavg()[0], 2)
        self.write_report()
        return 0

    def measure_all(self) -> None:
        say("generating wheels")
        data = make_data(self.work / "wheels", self.sizes)
        upstream = start_upstream(self.work / "upstream")
        self.started.add(upstream)
        names = flows.upstream_names(self.sizes)
        for name in (n for group in names.values() for n in group):
            upstream.add(name, "1.0", requires_python=">=3.8")
        ours = self.start_servers(upstream.url)
        for column, server in self.servers.items():
            say(f"filling {column} through the devpi API")
            seconds = fill(DevpiApi(server.url), data, upstream.url if column == "devpi" else None)
            uploads = sum(len(data[group]) for group in ("stable", "dl", "dev", "many"))
            self.put("fill", column, uploads / seconds)
            say(f"  filled in {seconds:.1f} s")
        if "devpi_meta" in self.client_servers:
            say("filling devpi_meta (the client flows' data only) through the devpi API")
            fill(
                DevpiApi(self.client_servers["devpi_meta"].url),
                data,
                upstream.url,
                mirror_config=DEVPI_META_MIRROR,
                only_client_flows=True,
            )

        steps = {
            "pages": lambda: self.measure_pages(data),
            "twine": lambda: self.measure_twine(data),
            "pip": lambda: flows.measure_pip(self, data),
            "mirror": lambda: flows.measure_mirror(self, names["mirror"]),
            "uv": lambda: flows.measure_uv(self, data, names["uv"]),
            "concurrent": lambda: flows.measure_concurrent(
                self, names["concurrent"], names["rerun"]
            ),
        }
        for step, measure in steps.items():
            if getattr(self.args, "only", None) is None or step in self.args.only:
                measure()
        for column, server in self.servers.items():
            snap = self.memory[column].snapshot()
            self.put("mem_peak", column, snap["peak_hwm_mib"])
            self.put("mem_rss", column, snap["peak_rss_sum_mib"])
            self.put("mem_pss", column, snap["pss_now_mib"])
            self.put("disk", column, disk_usage_mib(Path(server.data_dir)))
            self.facts[f"{column}_processes"] = snap["processes"]
        if self.args.scale:
            self.measure_scale(ours)

    def start_servers(self, upstream_url: str) -> OurServer:
        """Starts devpi-django (and devpi-server unless smoke), each with a
        memory sampler; returns devpi-django's server."""
        # DEVPI_WEB_CONCURRENCY's default, as an operator gets it
        self.facts["ours_workers"] = default_web_concurrency()
        say(f"starting devpi-django (gunicorn, {self.facts['ours_workers']} workers)")
        ours = self.started.add(start_devpi_django(upstream_url))
        self.servers["ours"] = ours
        self.memory["ours"] = self.started.add(TreeMemory(ours.pid).start())
        if not self.smoke:
            say("starting devpi-server")
            devpi = self.started.add(start_devpi_server(self.out / "devpi-venv", self.work))
            self.servers["devpi"] = devpi
            self.memory["devpi"] = self.started.add(TreeMemory(devpi.pid).start())
        self.client_servers.update(self.servers)
        if not self.smoke:
            say("starting devpi-server with its PEP 658 metadata on (client flows only)")
            self.client_servers["devpi_meta"] = self.started.add(
                start_devpi_server(
                    self.out / "devpi-venv", self.work, "devpi-server-meta", DEVPI_META_ARGS
                )
            )
        return ours

    def measure_pages(self, data: dict) -> None:
        s = self.sizes
        page_files = s.page_dev_files + s.page_stable_files
        variants = [
            ("page_html", f"/{USER}/dev/+simple/{PAGE_PROJECT}/", None, "page.html"),
            ("page_json", f"/{USER}/dev/+simple/{PAGE_PROJECT}/", JSON, "page.json"),
            ("list_html", f"/{USER}/many/+simple/", None, "list.html"),
            ("list_json", f"/{USER}/many/+simple/", JSON, "list.json"),
        ]
        pages = self.work / "pages"
        pages.mkdir()
        for key, path, accept, filename in variants:
            for column, server in self.servers.items():
                body = check_page(
                    server.url + path,
                    accept,
                    expect_files=page_files if key.startswith("page") else None,
                    expect_names=s.list_projects if key.startswith("list") else None,
                )
                if column == "ours":
                    (pages / filename).write_bytes(body)
                    self.facts[f"{key}_bytes"] = len(body)
                else:
                    self.facts[f"{key}_bytes_devpi"] = len(body)
        say("starting the limits: bare Django view and nginx")
        limits = {"bare": self.started.add(start_bare_django(pages, self.work))}
        if nginx_binary() is not None:
            limits["nginx"] = self.started.add(start_nginx(pages, self.work))
        elif not self.smoke:
            raise StartError("nginx is not installed")
        for key, path, accept, filename in variants:
            targets = [(c, srv.url + path) for c, srv in self.servers.items()]
            targets += [(c, srv.url + "/" + filename) for c, srv in limits.items()]
            for column, (rps, p50, p99) in self.load_rounds(key, targets, accept).items():
                self.put(f"{key}_rps", column, rps)
                self.put(f"{key}_p50", column, p50)
                self.put(f"{key}_p99", column, p99)
        for limit in limits.values():
            limit.stop()  # stopping again at the end is a no-op
        self.facts["page_html_files"] = page_files

    def measure_twine(self, data: dict) -> None:
        files = [path for path, _n, _v in data["twine"]]
        for column, server in self.servers.items():
            say(f"twine upload of {len(files)} wheels to {column}")
            seconds = twine_upload(self.work, f"{server.url}/{USER}/upload/", files)
            self.put("twine", column, len(files) / seconds)

    def measure_scale(self, ours: OurServer) -> None:
        self.scale_fill(ours)
        self.scale_pages(ours)
        self.scale_list(ours)

    def scale_fill(self, ours: OurServer) -> None:
        """Fills USER/small and USER/big with devpi_bench_data; the time of
        the big one is the scale_fill figure."""
        s = self.sizes
        say(
            f"scale: devpi_bench_data {s.small_projects}/{s.small_files} and "
            f"{s.big_projects}/{s.big_files} (devpi-django only)"
        )
        with open(self.work / "bench-data.log", "w") as log:
            started = time.monotonic()
            for projects, files, index in (
                (s.small_projects, s.small_files, f"{USER}/small"),
                (s.big_projects, s.big_files, f"{USER}/big"),
            ):
                proc = manage(
                    ours,
                    "devpi_bench_data",
                    "--projects",
                    str(projects),
                    "--files",
                    str(files),
                    "--index",
                    index,
                    log=log,
                )
                if proc.returncode != 0:
                    raise ClientError(f"devpi_bench_data failed, see {log.name}")
                if index.endswith("/big"):
                    self.put("scale_fill", "ours", time.monotonic() - started)
                started = time.monotonic()
        if (s.big_projects, s.big_files) != (FULL.big_projects, FULL.big_files):
            self.results["scale_fill"]["note"] = (
                f"here {s.big_projects:,} projects / {s.big_files:,} files"
            )

    def scale_pages(self, ours: OurServer) -> None:
        """A project's simple page on the small and the big index: warm
        under load, and cold (pages nobody asked for yet)."""
        s = self.sizes
        files_per_project = s.big_files // s.big_projects
        targets = []
        for label, projects in (("small", s.small_projects), ("big", s.big_projects)):
            url = f"{ours.url}/{USER}/{label}/+simple/bench-{projects // 2:06d}/"
            check_page(url, None, expect_files=files_per_project)
            targets.append((label, url))
        for label, (_rps, p50, _p99) in self.load_rounds("scale_page", targets, None).items():
            self.put(f"scale_page_{label}_p50", "ours", p50)
        for label, index, projects in (
            ("small", "small", s.small_projects),
            ("big", "big", s.big_projects),
        ):
            # pages nobody asked for yet: computed from the database
            step = max(1, projects // s.cold_pages)
            cold = [
                timed_get(f"{ours.url}/{USER}/{index}/+simple/bench-{i:06d}/")
                for i in range(1, projects, step)
            ][: s.cold_pages]
            self.put(f"scale_page_{label}_cold", "ours", statistics.median(cold))
        self.facts["scale_files_per_project"] = files_per_project

    def scale_list(self, ours: OurServer) -> None:
        """The big index's project list, HTML cold and warm, JSON warm."""
        s = self.sizes
        url = f"{ours.url}/{USER}/big/+simple/"
        say("scale: index list of the big index")
        self.put("scale_list_cold", "ours", timed_get(url))
        self.put(
            "scale_list_warm",
            "ours",
            statistics.median(timed_get(url) for _ in range(s.list_repeats)),
        )
        timed_get(url, JSON)
        self.put(
            "scale_list_json_warm",
            "ours",
            statistics.median(timed_get(url, JSON) for _ in range(s.list_repeats)),
        )
        body = check_page(url, JSON, expect_names=s.big_projects)
        self.facts["scale_list_json_bytes"] = len(body)

    # -- output ------------------------------------------------------------
    def write_report(self) -> None:
        for column, server in self.servers.items():
            self.facts.setdefault("urls", {})[column] = server.url
        kind = "smoke" if self.smoke else "tiny" if self.args.tiny else "full"
        text = render(self.results, self.facts, kind)
        print(text)
        (self.out / "results.md").write_text(text + "\n")
        (self.out / "results.json").write_text(
            json.dumps({"facts": self.facts, "results": self.results}, indent=2, default=str) + "\n"
        )
        if self.args.update_readme and kind == "full" and not getattr(self.args, "only", None):
            update_readme(text)
