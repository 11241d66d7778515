"""The child side of ``bench.profile_pages``: runs in the process that
valgrind watches, fills the data (``--fill``) or sends each page of the
benchmark through one WSGI application (devpi-django's or the bare view) and
prints, as one JSON line, per page its bytes, queries, cProfile calls and
(with ``--marker``) switches callgrind on around the measured requests."""

from __future__ import annotations

import gc
import io
import json
import os
import sys
from pathlib import Path
from wsgiref.util import FileWrapper

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
JSON = "application/vnd.pypi.simple.v1+json"
# the download paths pip takes after a page: a wheel and its PEP 658
# metadata, of a stage (user/stable) and of the mirror's cache (root/pypi)
WHEEL, MIRRORED = "dl_00-1.0-py3-none-any.whl", "mirror_00-1.0-py3-none-any.whl"
METADATA = b"Metadata-Version: 2.1\nName: dl-00\nVersion: 1.0\nRequires-Python: >=3.8\n"


def _hash_path(sha256: str, filename: str) -> str:
    return f"{sha256[:3]}/{sha256[3:16]}/{filename}"


def file_figures(digest: str = "0" * 64) -> list[tuple[str, str, str | None, str]]:
    """The download figures; ``digest``: the shared blob's sha256 (the
    bare view needs the names only)."""
    stage = "/user/stable/+f/" + _hash_path(digest, WHEEL)
    mirror = "/root/pypi/+f/" + _hash_path(digest, MIRRORED)
    return [
        ("mirror page, cached, JSON", "/root/pypi/+simple/mirror-00/", JSON, "mirror.json"),
        ("stage +f wheel", stage, None, "file.whl"),
        ("stage .metadata", stage + ".metadata", None, "file.metadata"),
        ("mirror +f wheel, cached", mirror, None, "file.whl"),
        ("mirror .metadata, cached", mirror + ".metadata", None, "file.metadata"),
    ]


# what pip 26 sends: its Accept header for simple pages and a User-Agent
# that starts with "pip/" (an installer: devpi's negotiation rule)
PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)
PIP_AGENT = 'pip/26.0 {"installer":{"name":"pip","version":"26.0"}}'
PIP = "pip"  # as ``accept``: pip's Accept, User-Agent and Accept-Encoding

# (name, path, accept, bare page, change before each request): what pip asks
# for on a stage (user/dev inherits dl-00 from user/stable), also right after
# a change: "serial" (a change elsewhere, such as a mirror page stored: the
# server's serial moves, no page of user/dev changes) or "upload" (a change
# of user/stable: its pages are made again)
_PIP_PAGE = "/user/dev/+simple/dl-00/"
_AFTER = ", after a serial change"
PIP_FIGURES = [
    ("pip: stage page", _PIP_PAGE, PIP, "pip.json", None),
    ("pip: stage page" + _AFTER, _PIP_PAGE, PIP, "pip.json", "serial"),
    ("pip: stage page, after an upload", _PIP_PAGE, PIP, "pip.json", "upload"),
]


def pip_file_figures(digest: str = "0" * 64) -> list:
    """pip's download requests right after a change of the serial."""
    stage = "/user/stable/+f/" + _hash_path(digest, WHEEL)
    mirror = "/root/pypi/+f/" + _hash_path(digest, MIRRORED)
    page = "/root/pypi/+simple/mirror-00/"
    return [
        ("pip: stage .metadata" + _AFTER, stage + ".metadata", PIP, "file.metadata", "serial"),
        ("pip: stage +f wheel" + _AFTER, stage, PIP, "file.whl", "serial"),
        ("pip: mirror page" + _AFTER, page, PIP, "mirror.json", "serial"),
        ("pip: mirror .metadata" + _AFTER, mirror + ".metadata", PIP, "file.metadata", "serial"),
        ("pip: mirror +f wheel" + _AFTER, mirror, PIP, "file.whl", "serial"),
    ]


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
        # as gunicorn offers it (there it is sendfile; here a read)
        "wsgi.file_wrapper": FileWrapper,
    }
    if accept == PIP:
        environ["HTTP_USER_AGENT"] = PIP_AGENT
        if "/+simple/" in path:
            environ["HTTP_ACCEPT"] = PIP_ACCEPT
            environ["HTTP_ACCEPT_ENCODING"] = "gzip, deflate"
        else:  # a download: requests' default Accept, no encoding
            environ["HTTP_ACCEPT"] = "*/*"
            environ["HTTP_ACCEPT_ENCODING"] = "identity"
    elif accept:
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
    from indexes.serverstate import serial_bump
    from indexes.services.indexes import index_create
    from indexes.services.users import user_create
    from indexes.storage import blob_put

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
        _fill_files(stable, digest, now)
        add(stable, "bench-page", [f"0.{i}" for i in range(10)])
        add(dev, "bench-page", [f"1.{i}" for i in range(50)])
        for i in range(2000):
            add(many, f"many-{i:04d}", ["1.0"])
        serial_bump(stable.id, dev.id, many.id)


def _fill_files(stable, digest: str, now) -> None:
    """A stage wheel with its metadata, and the same wheel and metadata in
    the mirror's cache, all on the shared blob."""
    import hashlib

    from indexes.management.commands.devpi_bench_data import BLOB
    from indexes.models import Index, Project, Release, ReleaseFile
    from indexes.storage import blob_put
    from mirror.models import MirrorFile, MirrorProject

    meta_sha = hashlib.sha256(METADATA).hexdigest()
    blob_put(io.BytesIO(METADATA), meta_sha)
    project = Project.objects.create(index=stable, name="dl-00", display_name="dl-00")
    release = Release.objects.create(project=project, version="1.0", metadata={})
    ReleaseFile.objects.create(
        release=release,
        index=stable,
        filename=WHEEL,
        sha256=digest,
        size=len(BLOB),
        packagetype="bdist_wheel",
        pyversion="py3",
        uploaded_at=now,
        uploader="user",
        requires_python=">=3.8",
        core_metadata=METADATA,
        core_metadata_sha256=meta_sha,
    )
    pypi = Index.objects.get(owner__username="root", name="pypi")
    url = f"http://127.0.0.1:9/files/{MIRRORED}"
    link = {"filename": MIRRORED, "sha256": digest, "url": url, "size": len(BLOB)}
    link.update({"requires_python": ">=3.8", "yanked": None, "core_metadata_sha256": meta_sha})
    MirrorProject.objects.create(index=pypi, name="mirror-00", links=[link], fetched_at=now)
    for filename, sha, size in (
        (MIRRORED, digest, len(BLOB)),
        (MIRRORED + ".metadata", meta_sha, len(METADATA)),
    ):
        MirrorFile.objects.create(
            index=pypi, project="mirror-00", filename=filename, sha256=sha, size=size, url=url
        )


def _blob_digest() -> str:
    import hashlib

    from indexes.management.commands.devpi_bench_data import BLOB

    return hashlib.sha256(BLOB).hexdigest()


def _django_application(args):
    """devpi-django's WSGI application, as under gunicorn: Prometheus counts
    in files; ``--without`` middleware classes left out."""
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
    from devpi_django.wsgi import application

    return application


def _write_pages(application, pages: Path) -> None:
    """The four pages' bytes, for the bare view to serve."""
    pages.mkdir(exist_ok=True)
    for _name, path, accept, page, _change in _all_figures(_blob_digest()):
        status, body = _request(application, path, accept)
        assert status.startswith("200"), (path, status)
        (pages / page).write_bytes(body)


def _all_figures(digest: str = "0" * 64) -> list[tuple[str, str, str | None, str, str | None]]:
    """Every figure as (name, path, accept, bare page, change before each request)."""
    plain = [(*figure, None) for figure in FIGURES + file_figures(digest)]
    return plain + PIP_FIGURES + pip_file_figures(digest)


def _changer(change: str | None):
    """What to do before each request of a figure (not counted), or None."""
    if change is None:
        return None
    from django.db import transaction

    from indexes.models import Index
    from indexes.serverstate import serial_bump

    ids = () if change == "serial" else (Index.objects.get(name="stable").id,)

    def bump() -> None:
        with transaction.atomic():
            serial_bump(*ids)

    return bump


def _cprofile(application, path: str, accept: str | None, args, bump=None) -> tuple[float, str]:
    """cProfile's calls a request and its top ``args.cprofile`` functions."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        if bump is not None:
            profile.disable()
            bump()
            profile.enable()
        _request(application, path, accept)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    # set by Stats.load_stats; typeshed does not declare it
    calls = stats.total_calls / args.requests  # type: ignore[attr-defined]
    stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(args.cprofile)
    return calls, out.getvalue()


def _measure(
    application, name: str, path: str, accept: str | None, args, marker, change=None
) -> dict:
    """One page: warmed up, then its figures (callgrind's are in its dump).
    ``change``: made before each measured request, outside the count."""
    bump = _changer(change) if args.child == "django" else None
    for _ in range(5):  # the first builds the cached page; then warm
        status, body = _request(application, path, accept)
        assert status.startswith("200"), (name, status)
    entry: dict[str, int | float | str] = {"bytes": len(body)}
    if args.child == "django":
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        if bump is not None:
            bump()
        with CaptureQueriesContext(connection) as queries:
            _request(application, path, accept)
        entry["queries"] = len(queries.captured_queries)
    if args.cprofile:
        entry["calls"], entry["profile"] = _cprofile(application, path, accept, args, bump)
    if marker is not None:
        # no collection of the cyclic garbage in the window: it would
        # land in one page's count or another's by chance
        gc.collect()
        gc.disable()
        marker.marker_start()
        for _ in range(args.requests):
            if bump is not None:
                marker.marker_toggle()  # not counted: the change itself
                bump()
                marker.marker_toggle()
            _request(application, path, accept)
        marker.marker_stop()
        gc.enable()
    return entry


def child(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devpi_django.settings")
    pages = Path(args.data) / "pages"
    if args.child == "django":
        application = _django_application(args)
        if args.fill:
            _fill()
            _write_pages(application, pages)
            return
        figures = _all_figures(_blob_digest())
        requests = [(name, path, accept, change) for name, path, accept, _page, change in figures]
    else:
        os.environ["BENCH_BARE_PAGES"] = str(pages)
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_app"
        from bench.bare_app import application

        requests = [(name, "/" + page, None, None) for name, _p, _a, page, _c in _all_figures()]
    marker = None
    if args.marker:
        import ctypes

        marker = ctypes.CDLL(args.marker)
    results = {}
    for name, path, accept, change in requests:
        results[name] = _measure(application, name, path, accept, args, marker, change)
    print(json.dumps(results))
