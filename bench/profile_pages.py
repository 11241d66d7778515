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
query counts are reported. Takes well under a minute.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

FIGURES = [
    # (name, devpi-django path, Accept header, bare page file)
    ("project page, HTML", "/user/dev/+simple/bench-page/", None, "project.html"),
    (
        "project page, JSON",
        "/user/dev/+simple/bench-page/",
        "application/vnd.pypi.simple.v1+json",
        "project.json",
    ),
    ("index list, HTML", "/user/many/+simple/", None, "list.html"),
    ("index list, JSON", "/user/many/+simple/", "application/vnd.pypi.simple.v1+json", "list.json"),
]

MARKER_C = r"""
#include <valgrind/callgrind.h>
void marker_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void marker_stop(void) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS; }
"""


# -- in the child process ----------------------------------------------------


def _environ(path: str, accept: str | None) -> dict:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "wrk",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if accept:
        environ["HTTP_ACCEPT"] = accept
    return environ


def _request(application, path: str, accept: str | None) -> tuple[str, bytes]:
    status = []

    def start_response(s, headers, exc_info=None):
        status.append(s)

    result = application(_environ(path, accept), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return status[0], body


def _fill() -> None:
    """The benchmark's indexes and files, as rows."""
    import hashlib

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from indexes.management.commands.devpi_bench_data import BLOB, _release_metadata
    from indexes.models import Project, Release, ReleaseFile
    from indexes.services.indexes import index_create
    from indexes.services.users import user_create
    from indexes.storage import blob_put
    from indexes.wire import serial_bump

    call_command("migrate", "--noinput", verbosity=0)
    call_command("devpi_init", stdout=io.StringIO())
    digest = hashlib.sha256(BLOB).hexdigest()
    blob_put(io.BytesIO(BLOB), digest)
    user = user_create(username="user", data={"password": "secret"})
    stable = index_create(owner=user, name="stable", data={"bases": []})
    dev = index_create(owner=user, name="dev", data={"bases": ["user/stable", "root/pypi"]})
    many = index_create(owner=user, name="many", data={"bases": []})
    now = timezone.now()

    def add(index, name: str, versions: list[str]) -> None:
        project, _ = Project.objects.get_or_create(
            index=index, name=name, defaults={"display_name": name}
        )
        dist = name.replace("-", "_")
        for version in versions:
            release = Release.objects.create(
                project=project,
                version=version,
                metadata={**_release_metadata(name, version), "name": name, "version": version},
            )
            ReleaseFile.objects.create(
                release=release,
                index=index,
                filename=f"{dist}-{version}-py3-none-any.whl",
                sha256=hashlib.sha256(f"{name}-{version}".encode()).hexdigest(),
                size=len(BLOB),
                packagetype="bdist_wheel",
                pyversion="py3",
                uploaded_at=now,
                uploader="user",
                requires_python=">=3.8",
            )

    with transaction.atomic():
        add(stable, "bench-page", [f"0.{i}" for i in range(10)])
        add(dev, "bench-page", [f"1.{i}" for i in range(50)])
        for i in range(2000):
            add(many, f"many-{i:04d}", ["1.0"])
        serial_bump(stable.id, dev.id, many.id)


def child(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devpi_django.settings")
    pages = Path(args.data) / "pages"
    if args.child == "django":
        # Prometheus counts in files, as under gunicorn (gunicorn_conf.py)
        try:
            from ops.multiproc import enable_multiprocess
        except ImportError:  # a checkout from before the metrics, to compare with
            pass
        else:
            enable_multiprocess(Path(args.data) / "metrics")
        if args.without:
            import django
            from django.conf import settings

            django.setup()
            settings.MIDDLEWARE = [
                m for m in settings.MIDDLEWARE if m.rsplit(".", 1)[1] not in args.without
            ]
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from devpi_django.wsgi import application

        if args.fill:
            _fill()
            pages.mkdir(exist_ok=True)
            for _name, path, accept, page in FIGURES:
                status, body = _request(application, path, accept)
                assert status.startswith("200"), (path, status)
                (pages / page).write_bytes(body)
            return
        requests = [(name, path, accept) for name, path, accept, _page in FIGURES]
    else:
        os.environ["BENCH_BARE_PAGES"] = str(pages)
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_app"
        from bench.bare_app import application

        requests = [(name, "/" + page, None) for name, _path, _accept, page in FIGURES]
    marker = None
    if args.marker:
        import ctypes

        marker = ctypes.CDLL(args.marker)
    results = {}
    for name, path, accept in requests:
        for _ in range(5):  # the first builds the cached page; then warm
            status, body = _request(application, path, accept)
            assert status.startswith("200"), (name, status)
        entry = {"bytes": len(body)}
        if args.child == "django":
            with CaptureQueriesContext(connection) as queries:
                _request(application, path, accept)
            entry["queries"] = len(queries.captured_queries)
        if args.cprofile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                _request(application, path, accept)
            profile.disable()
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            entry["calls"] = stats.total_calls / args.requests
            stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(args.cprofile)
            entry["profile"] = out.getvalue()
        if marker is not None:
            # no collection of the cyclic garbage in the window: it would
            # land in one page's count or another's by chance
            gc.collect()
            gc.disable()
            marker.marker_start()
            for _ in range(args.requests):
                _request(application, path, accept)
            marker.marker_stop()
            gc.enable()
        results[name] = entry
    print(json.dumps(results))


# -- in the parent -----------------------------------------------------------


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
        # one dump per figure, in order (marker_stop), numbered .1, .2, ...
        dumps = sorted(
            data.glob(f"callgrind.{target}.*.*"), key=lambda p: int(p.name.rsplit(".", 1)[1])
        )
        for (name, entry), dump in zip(results.items(), dumps):
            for line in dump.read_text().splitlines():
                if line.startswith("totals:"):
                    entry["instructions"] = int(line.split()[1]) / requests
                    break
        for dump in data.glob(f"callgrind.{target}.*"):
            dump.unlink()
    return results


def main(argv=None) -> int:
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
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
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
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0

    data = Path(tempfile.mkdtemp(prefix="devpi-profile-"))
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
    try:
        _run("django", data, env, requests=1, fill=True)
        marker = None if args.no_callgrind else _build_marker(data)
        table = {}
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
    finally:
        if args.keep:
            print(f"data kept in {data}", file=sys.stderr)
        else:
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
