"""The benchmark run: set-up, fill, measure, report.

    python -m bench [--scale] [--smoke] [--out DIR] [--update-readme]

Starts a local upstream index, devpi-server (its own venv, fresh data) and
devpi-django (gunicorn, fresh data) on 127.0.0.1, fills both through the same
devpi API calls with the same generated wheels, measures both, then the bare
Django view and nginx serving the same page bytes, and prints one table.

Exit status: 0 when everything ran (missed targets are reported, not
failures); 2 when a server could not be set up or started; 3 when a client
(wrk, pip, twine, an API call) failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

import requests

from tests.factories import make_wheel
from tests.live import REPO, client_env
from tests.upstream import start_upstream

from . import load, report
from .api import ApiError, DevpiApi
from .procmem import TreeMemory, disk_usage_mib
from .servers import (
    ROOT_PASSWORD, LOCAL_ENV, StartError, Started, install_devpi_server, manage, nginx_binary,
    start_bare_django, start_devpi_django, start_devpi_server, start_nginx,
)

USER, PASSWORD = "user", "secret"
PAGE_PROJECT = "bench-page"
JSON = load.JSON_ACCEPT


class ClientError(RuntimeError):
    """pip, twine or another client failed."""


@dataclass(frozen=True)
class Sizes:
    page_dev_files: int = 50  # bench-page on user/dev
    page_stable_files: int = 10  # bench-page on user/stable, the base of user/dev
    list_projects: int = 2000
    twine_wheels: int = 200
    pip_packages: int = 30
    mirror_packages: int = 30
    connections: int = 16
    load_seconds: float = 4  # per round
    load_rounds: int = 3  # targets take turns, round after round; medians are reported
    warmup_seconds: float = 2
    pip_repeats: int = 3
    big_projects: int = 100_000
    big_files: int = 1_000_000
    small_projects: int = 100
    small_files: int = 1000
    cold_pages: int = 20
    list_repeats: int = 12


FULL = Sizes()
SMOKE = Sizes(page_dev_files=3, page_stable_files=2, list_projects=20, twine_wheels=4,
              pip_packages=2, mirror_packages=2, load_seconds=1, load_rounds=1, warmup_seconds=0,
              pip_repeats=1, big_projects=200, big_files=2000, small_projects=20,
              small_files=200, cold_pages=3, list_repeats=3)


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- set-up ----------------------------------------------------------------

def ensure_tools(log) -> None:
    """wrk and nginx from Debian's packages, installed only when missing."""
    missing = [pkg for pkg, present in (("wrk", load.wrk_binary()), ("nginx", nginx_binary()))
               if not present]
    if not missing:
        return
    say(f"installing {' '.join(missing)} (apt-get)")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = prefix + ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(install, env=env, stdout=log, stderr=log).returncode != 0:
        subprocess.run(prefix + ["apt-get", "update"], env=env, stdout=log, stderr=log)
        if subprocess.run(install, env=env, stdout=log, stderr=log).returncode != 0:
            raise StartError(f"apt-get install {' '.join(missing)} failed, see {log.name}")
    if load.wrk_binary() is None or nginx_binary() is None:
        raise StartError("wrk or nginx still missing after apt-get install")


def machine_facts() -> dict:
    cpu = ""
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                    if ln.startswith("model name")), "")
    except OSError:
        pass
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout
    mem = next((ln.split()[1] for ln in free.splitlines() if ln.startswith("Mem:")), "?")
    version = re.search(r'__version__ = "([^"]+)"',
                        (REPO / "devpi_django" / "__init__.py").read_text())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()  # read-only
    return {"date": dt.date.today().isoformat(), "nproc": os.cpu_count(), "memory": mem,
            "commit": commit or "?",
            "loadavg_at_start": round(os.getloadavg()[0], 2),
            "cpu": cpu, "kernel": platform.release(), "python": platform.python_version(),
            "devpi_django": version.group(1) if version else "?"}


def make_data(root: Path, sizes: Sizes) -> dict:
    """The generated wheels: (path, name, version) per group."""
    data: dict[str, list] = {}

    def wheels(group, names_versions):
        data[group] = [(make_wheel(root / group / f"{n}-{v}", n, v), n, v)
                       for n, v in names_versions]

    wheels("stable", [(PAGE_PROJECT, f"0.{i}") for i in range(sizes.page_stable_files)])
    wheels("dev", [(PAGE_PROJECT, f"1.{i}") for i in range(sizes.page_dev_files)])
    wheels("many", [(f"many-{i:04d}", "1.0") for i in range(sizes.list_projects)])
    wheels("dl", [(f"dl-{i:02d}", "1.0") for i in range(sizes.pip_packages)])
    wheels("twine", [(f"up-{i:03d}", "1.0") for i in range(sizes.twine_wheels)])
    floor = root / "floor"
    floor.mkdir()
    for path, _n, _v in data["dl"]:
        shutil.copy(path, floor / path.name)
    return data


def fill(api: DevpiApi, data: dict, root_mirror: str | None) -> float:
    """The same API calls on either server; returns seconds taken.
    ``root_mirror``: create root/pypi as a mirror of it (devpi-server, which
    was initialised without root/pypi); devpi-django's devpi_init made it."""
    started = time.monotonic()
    if root_mirror:
        api.login("root", ROOT_PASSWORD)
        api.create_index("root/pypi", type="mirror", mirror_url=root_mirror)
    api.create_user(USER, PASSWORD)
    api.login(USER, PASSWORD)
    api.create_index(f"{USER}/stable", bases=[])
    api.create_index(f"{USER}/dev", bases=[f"{USER}/stable", "root/pypi"])
    api.create_index(f"{USER}/many", bases=[])
    api.create_index(f"{USER}/upload", bases=[])
    api.upload_many(f"{USER}/stable", data["stable"] + data["dl"])
    api.upload_many(f"{USER}/dev", data["dev"])
    api.upload_many(f"{USER}/many", data["many"])
    return time.monotonic() - started


# -- clients ---------------------------------------------------------------

def run_client(cmd: list, env: dict, what: str, timeout: float = 900) -> float:
    started = time.monotonic()
    proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True,
                          timeout=timeout)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise ClientError(f"{what} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                          f"{proc.stderr[-3000:]}")
    return elapsed


def pip_download(workdir: Path, args: list, names: list[str], what: str) -> float:
    """One ``pip download`` in a fresh process with no pip cache; seconds."""
    home = workdir / "pip-home"
    dest = workdir / "pip-dest"
    shutil.rmtree(dest, ignore_errors=True)
    env = client_env(home, **LOCAL_ENV)
    seconds = run_client([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
                          "--progress-bar", "off", "-q", "-d", dest, *args, *names], env, what)
    got = sorted(p.name for p in dest.iterdir()) if dest.exists() else []
    if len(got) != len(names):
        raise ClientError(f"{what}: expected {len(names)} files, got {got}")
    return seconds


def twine_upload(workdir: Path, url: str, files: list[Path]) -> float:
    env = client_env(workdir / "twine-home", **LOCAL_ENV)
    return run_client([sys.executable, "-m", "twine", "upload", "--non-interactive",
                       "--disable-progress-bar", "--repository-url", url, "-u", USER,
                       "-p", PASSWORD, *files], env, f"twine upload to {url}")


def check_page(url: str, accept: str | None, expect_files: int | None = None,
               expect_names: int | None = None) -> bytes:
    """One request before the load: 200, the right content type and content."""
    headers = {"Accept": accept} if accept else {}
    r = requests.get(url, headers=headers, timeout=120)
    if r.status_code != 200:
        raise ClientError(f"GET {url} answered {r.status_code}: {r.text[:300]}")
    wants_json = accept == JSON
    if ("json" in r.headers.get("Content-Type", "")) != wants_json:
        raise ClientError(f"GET {url} (Accept: {accept}) answered {r.headers.get('Content-Type')}")
    if expect_files is not None:
        found = len(r.json()["files"]) if wants_json else r.text.count("<a ")
        if found != expect_files:
            raise ClientError(f"GET {url}: {found} files, expected {expect_files}")
    if expect_names is not None:
        found = len(r.json()["projects"]) if wants_json else r.text.count("<a ")
        if found != expect_names:
            raise ClientError(f"GET {url}: {found} projects, expected {expect_names}")
    return r.content


def timed_get(url: str, accept: str | None = None) -> float:
    headers = {"Accept": accept} if accept else {}
    started = time.perf_counter()
    r = requests.get(url, headers=headers, timeout=300)
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        raise ClientError(f"GET {url} answered {r.status_code}")
    return elapsed


# -- the run ---------------------------------------------------------------

class Run:
    def __init__(self, args, sizes: Sizes):
        self.args = args
        self.sizes = sizes
        self.smoke = args.smoke
        self.out = Path(args.out).resolve()
        self.work = self.out / "run"
        self.results: dict[str, dict] = {key: {} for key in report.ROW_KEYS}
        self.facts = machine_facts()
        self.facts["load"] = (f"{sizes.connections} connections, {sizes.load_rounds} round(s) "
                              f"of {sizes.load_seconds:g} s per figure, medians")
        self.started = Started()
        self.servers: dict[str, object] = {}  # "ours" / "devpi" -> server
        self.memory: dict[str, TreeMemory] = {}

    def put(self, key: str, column: str, value) -> None:
        self.results[key][column] = value

    def load_rounds(self, what: str, targets: list[tuple[str, str]], accept: str | None
                    ) -> dict[str, tuple[float, float, float]]:
        """Load on each (column, url) in turn, round after round, so that
        whatever else the machine does hits every target alike; per column
        the medians over the rounds of req/s, p50 and p99 (ms)."""
        s = self.sizes
        runs: dict[str, list[load.LoadResult]] = {column: [] for column, _url in targets}
        if s.warmup_seconds:
            for _column, url in targets:
                load.measure(url, accept=accept, connections=s.connections,
                             seconds=s.warmup_seconds, warmup=0, allow_fallback=self.smoke)
        for number in range(s.load_rounds):
            say(f"load: {what}, round {number + 1} of {s.load_rounds}: "
                f"{', '.join(c for c, _u in targets)}")
            for column, url in targets:
                result = load.measure(url, accept=accept, connections=s.connections,
                                      seconds=s.load_seconds, warmup=0,
                                      allow_fallback=self.smoke)
                runs[column].append(result)
                self.facts.setdefault("load_tool", result.tool)
                if result.errors:
                    errors = self.facts.setdefault("socket_errors", {})
                    errors[f"{what}/{column}"] = errors.get(f"{what}/{column}", 0) + result.errors
        rounds = self.facts.setdefault("rounds_rps", {})
        figures = {}
        for column, results in runs.items():
            rounds[f"{what}/{column}"] = [round(r.rps) for r in results]
            figures[column] = (statistics.median(r.rps for r in results),
                               statistics.median(r.p50_ms for r in results),
                               statistics.median(r.p99_ms for r in results))
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
                self.facts["devpi_server"] = install_devpi_server(self.out / "devpi-venv",
                                                                  setup_log)
            self.measure_all()
        except StartError as exc:
            say(f"a server could not be started: {exc}")
            return 2
        except (ClientError, ApiError, load.LoadError, subprocess.TimeoutExpired,
                requests.RequestException) as exc:
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
        s = self.sizes
        say("generating wheels")
        data = make_data(self.work / "wheels", s)
        upstream = start_upstream(self.work / "upstream")
        self.started.add(upstream)
        mirror_names = [f"mirror-{i:02d}" for i in range(s.mirror_packages)]
        for name in mirror_names:
            upstream.add(name, "1.0", requires_python=">=3.8")

        say("starting devpi-django (gunicorn, 4 workers)")
        ours = self.started.add(start_devpi_django(upstream.url))
        self.servers["ours"] = ours
        self.memory["ours"] = self.started.add(_Sampler(TreeMemory(ours.pid).start()))
        if not self.smoke:
            say("starting devpi-server")
            devpi = self.started.add(start_devpi_server(self.out / "devpi-venv", self.work))
            self.servers["devpi"] = devpi
            self.memory["devpi"] = self.started.add(_Sampler(TreeMemory(devpi.pid).start()))

        for column, server in self.servers.items():
            say(f"filling {column} through the devpi API")
            seconds = fill(DevpiApi(server.url), data,
                           upstream.url if column == "devpi" else None)
            uploads = sum(len(data[group]) for group in ("stable", "dl", "dev", "many"))
            self.put("fill", column, uploads / seconds)
            say(f"  filled in {seconds:.1f} s")

        self.measure_pages(data)
        self.measure_twine(data)
        self.measure_pip(data)
        self.measure_mirror(mirror_names)
        for column, server in self.servers.items():
            snap = self.memory[column].memory.snapshot()
            self.put("mem_peak", column, snap["peak_hwm_mib"])
            self.put("mem_rss", column, snap["peak_rss_sum_mib"])
            self.put("mem_pss", column, snap["pss_now_mib"])
            self.put("disk", column, disk_usage_mib(Path(server.data_dir)))
            self.facts[f"{column}_processes"] = snap["processes"]
        if self.args.scale:
            self.measure_scale(ours)

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
                body = check_page(server.url + path, accept,
                                  expect_files=page_files if key.startswith("page") else None,
                                  expect_names=s.list_projects if key.startswith("list") else None)
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

    def measure_pip(self, data: dict) -> None:
        s = self.sizes
        names = [n for _p, n, _v in data["dl"]]
        for column, server in self.servers.items():
            index = ["-i", f"{server.url}/{USER}/dev/+simple/"]
            say(f"pip download of {len(names)} from {column}'s stage")
            self.put("pip_stage_cold", column,
                     pip_download(self.work, index, names, f"pip download from {column}"))
            warm = [pip_download(self.work, index, names, f"pip download from {column}")
                    for _ in range(s.pip_repeats)]
            self.put("pip_stage_warm", column, statistics.median(warm))
        say("pip from a local folder (the floor)")
        floor = [pip_download(self.work, ["--no-index", "--find-links", self.work / "wheels" /
                                          "floor"], names, "pip download --find-links")
                 for _ in range(s.pip_repeats)]
        self.put("pip_floor", "ours", statistics.median(floor))
        self.results["pip_floor"]["note"] = "one figure, client only"

    def measure_mirror(self, names: list[str]) -> None:
        s = self.sizes
        for column, server in self.servers.items():
            index = ["-i", f"{server.url}/root/pypi/+simple/"]
            say(f"pip download of {len(names)} through {column}'s mirror")
            self.put("mirror_cold", column,
                     pip_download(self.work, index, names, f"pip via {column}'s mirror"))
            warm = [pip_download(self.work, index, names, f"pip via {column}'s mirror")
                    for _ in range(s.pip_repeats)]
            self.put("mirror_warm", column, statistics.median(warm))

    def measure_scale(self, ours) -> None:
        s = self.sizes
        say(f"scale: devpi_bench_data {s.small_projects}/{s.small_files} and "
            f"{s.big_projects}/{s.big_files} (devpi-django only)")
        with open(self.work / "bench-data.log", "w") as log:
            started = time.monotonic()
            for projects, files, index in ((s.small_projects, s.small_files, f"{USER}/small"),
                                           (s.big_projects, s.big_files, f"{USER}/big")):
                proc = manage(ours, "devpi_bench_data", "--projects", str(projects), "--files",
                              str(files), "--index", index, log=log)
                if proc.returncode != 0:
                    raise ClientError(f"devpi_bench_data failed, see {log.name}")
                if index.endswith("/big"):
                    self.put("scale_fill", "ours", time.monotonic() - started)
                started = time.monotonic()
        if (s.big_projects, s.big_files) != (FULL.big_projects, FULL.big_files):
            self.results["scale_fill"]["note"] = (f"here {s.big_projects:,} projects / "
                                                  f"{s.big_files:,} files")
        files_per_project = s.big_files // s.big_projects
        targets = []
        for label, projects in (("small", s.small_projects), ("big", s.big_projects)):
            url = f"{ours.url}/{USER}/{label}/+simple/bench-{projects // 2:06d}/"
            check_page(url, None, expect_files=files_per_project)
            targets.append((label, url))
        for label, (_rps, p50, _p99) in self.load_rounds("scale_page", targets, None).items():
            self.put(f"scale_page_{label}_p50", "ours", p50)
        for label, index, projects in (("small", "small", s.small_projects),
                                       ("big", "big", s.big_projects)):
            # pages nobody asked for yet: computed from the database
            step = max(1, projects // s.cold_pages)
            cold = [timed_get(f"{ours.url}/{USER}/{index}/+simple/bench-{i:06d}/")
                    for i in range(1, projects, step)][: s.cold_pages]
            self.put(f"scale_page_{label}_cold", "ours", statistics.median(cold))
        self.facts["scale_files_per_project"] = files_per_project
        url = f"{ours.url}/{USER}/big/+simple/"
        say("scale: index list of the big index")
        self.put("scale_list_cold", "ours", timed_get(url))
        self.put("scale_list_warm", "ours",
                 statistics.median(timed_get(url) for _ in range(s.list_repeats)))
        timed_get(url, JSON)
        self.put("scale_list_json_warm", "ours",
                 statistics.median(timed_get(url, JSON) for _ in range(s.list_repeats)))
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
        (self.out / "results.json").write_text(json.dumps(
            {"facts": self.facts, "results": self.results}, indent=2, default=str) + "\n")
        if self.args.update_readme and kind == "full":
            update_readme(text)


class _Sampler:
    """Stops a TreeMemory sampler with the other started things."""

    def __init__(self, memory: TreeMemory):
        self.memory = memory

    def stop(self) -> None:
        self.memory.stop()


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
        f"devpi-django {facts['devpi_django']} (commit {facts.get('commit', '?')}), "
        + (f"devpi-server {facts['devpi_server']}; " if facts.get("devpi_server")
           else "devpi-server not run; ") +
        f"load: {facts.get('load_tool', '?')}, {facts.get('load', '')}; run took "
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny data, 1 s of load, devpi-django only (the test suite's run)")
    parser.add_argument("--tiny", action="store_true",
                        help="the smoke run's tiny data, but both servers and the full set-up "
                             "(a quick check of the whole harness)")
    parser.add_argument("--scale", action=argparse.BooleanOptionalAction, default=False,
                        help="also run the scale step (100,000 projects, 1,000,000 files; "
                             "tiny numbers with --smoke)")
    parser.add_argument("--out", default=str(REPO / "build" / "bench"),
                        help="where the venv, data and results go (default build/bench)")
    parser.add_argument("--update-readme", action="store_true",
                        help="write the results table into bench/README.md")
    parser.add_argument("--seconds", type=float, default=None,
                        help="seconds of load per figure (default 10; 1 with --smoke)")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke or args.tiny else FULL
    if args.seconds:
        sizes = replace(sizes, load_seconds=args.seconds)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    return Run(args, sizes).execute()
