"""The only module that reads ``os.environ``.

Every deploy-time value of devpi-django comes from an environment variable
listed here, with its default. ``settings.py`` and the rest of the code read
these names, never the environment itself. The README documents each one.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import overload
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


@overload
def _get(name: str) -> str | None: ...
@overload
def _get(name: str, default: str) -> str: ...
def _get(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def _int(name: str, default: int) -> int:
    value = _get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from None


def _bool(name: str, default: bool = False) -> bool:
    value = _get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _list(name: str) -> list[str] | None:
    value = _get(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def default_web_concurrency() -> int:
    """DEVPI_WEB_CONCURRENCY's default: one worker process per CPU this
    process may run on (its affinity mask, which a container's cpuset or
    ``taskset`` narrows), at least 2, so that one busy or restarting worker
    never leaves the server without one. Processes are for CPU parallelism,
    each worker's threads for concurrency (gunicorn_conf.py)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # no sched_getaffinity (macOS)
        cpus = os.cpu_count() or 1
    return max(2, cpus)


DATA_DIR = Path(_get("DEVPI_DATA_DIR", str(BASE_DIR / "var"))).resolve()
HOST = _get("DEVPI_HOST", "127.0.0.1")
PORT = _int("DEVPI_PORT", 3141)
DEBUG = _bool("DEVPI_DEBUG")
DATABASE_URL = _get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
OUTSIDE_URL = (_get("DEVPI_OUTSIDE_URL") or "").rstrip("/") or None
ROOT_PASSWORD = os.environ.get("DEVPI_ROOT_PASSWORD")  # "" is a valid password
RESTRICT_MODIFY = _list("DEVPI_RESTRICT_MODIFY")
MIRROR_URL = _get("DEVPI_MIRROR_URL")
PIP_INDEX_URL = _get("PIP_INDEX_URL")  # only to pick root/pypi's default upstream
MAX_UPLOAD_BYTES = _int("DEVPI_MAX_UPLOAD_BYTES", 1024**3)
MIRROR_TIMEOUT = _int("DEVPI_MIRROR_TIMEOUT", 20)
MIRROR_MAX_PAGE_BYTES = _int("DEVPI_MIRROR_MAX_PAGE_BYTES", 64 * 1024**2)
MIRROR_MAX_FILE_BYTES = _int("DEVPI_MIRROR_MAX_FILE_BYTES", MAX_UPLOAD_BYTES)
TRANSFER_TIMEOUT = _int("DEVPI_TRANSFER_TIMEOUT", 600)
ALLOW_PRIVATE_UPSTREAMS = _list("DEVPI_ALLOW_PRIVATE_UPSTREAMS") or []
MIRROR_LIST_REFRESH_SECONDS = _int("DEVPI_MIRROR_LIST_REFRESH_SECONDS", 0)
MAX_JSON_BYTES = _int("DEVPI_MAX_JSON_BYTES", 16 * 1024**2)
DOC_MAX_FILES = _int("DEVPI_DOC_MAX_FILES", 10_000)
DOC_MAX_BYTES = _int("DEVPI_DOC_MAX_BYTES", 512 * 1024**2)
ARCHIVE_MAX_MEMBERS = _int("DEVPI_ARCHIVE_MAX_MEMBERS", 100_000)
STORAGE = (_get("DEVPI_STORAGE", "filesystem") or "filesystem").lower()
S3_BUCKET = _get("DEVPI_S3_BUCKET")
S3_ENDPOINT_URL = _get("DEVPI_S3_ENDPOINT_URL")
CELERY_BROKER_URL = _get("CELERY_BROKER_URL") or _get("REDIS_URL")
REDIS_URL = _get("REDIS_URL")
WEB_CONCURRENCY = _int("DEVPI_WEB_CONCURRENCY", default_web_concurrency())
WEB_THREADS = _int("DEVPI_WEB_THREADS", 8)
FILE_SERVING = (_get("DEVPI_FILE_SERVING") or ("redirect" if STORAGE == "s3" else "app")).lower()
X_ACCEL_PREFIX = (_get("DEVPI_X_ACCEL_PREFIX", "/+blobs") or "/+blobs").rstrip("/")
# days of audit trail kept by ``manage.py devpi_audit_prune`` (and Celery beat); unset: all
AUDIT_RETENTION_DAYS = _int("DEVPI_AUDIT_RETENTION_DAYS", 0) or None
if AUDIT_RETENTION_DAYS is not None and AUDIT_RETENTION_DAYS < 0:
    raise SystemExit("DEVPI_AUDIT_RETENTION_DAYS must be a positive number of days")

# security: login throttling, proxies, TLS, authentication backends (README "Security")
LOGIN_FAILURE_LIMIT = _int("DEVPI_LOGIN_FAILURE_LIMIT", 10)
LOGIN_ADDRESS_FAILURE_LIMIT = _int("DEVPI_LOGIN_ADDRESS_FAILURE_LIMIT", 100)
LOGIN_FAILURE_WINDOW = _int("DEVPI_LOGIN_FAILURE_WINDOW", 900)
TRUSTED_PROXIES = _list("DEVPI_TRUSTED_PROXIES") or ["127.0.0.1", "::1"]
HTTPS = _bool("DEVPI_HTTPS")
HSTS_SECONDS = _int("DEVPI_HSTS_SECONDS", 31536000)
AUTHENTICATION_BACKENDS = _list("DEVPI_AUTHENTICATION_BACKENDS") or [
    "indexes.backends.CachedModelBackend"
]
DESCRIPTION_MAX_RENDER_BYTES = _int("DEVPI_DESCRIPTION_MAX_RENDER_BYTES", 512 * 1024)
METRICS_ALLOWED = _list("DEVPI_METRICS_ALLOWED") or ["127.0.0.0/8", "::1/128"]
METRICS_DIR = Path(_get("DEVPI_METRICS_DIR", str(DATA_DIR / "metrics"))).resolve()
LOG_FORMAT = (_get("DEVPI_LOG_FORMAT", "text") or "text").lower()
LOG_LEVEL = (_get("DEVPI_LOG_LEVEL", "INFO") or "INFO").upper()


def allowed_hosts() -> list[str]:
    configured = _list("DEVPI_ALLOWED_HOSTS")
    if configured:
        return configured
    hosts = ["127.0.0.1", "localhost", "[::1]"]
    if HOST and HOST not in ("0.0.0.0", "::"):
        hosts.append(HOST)
    if OUTSIDE_URL:
        outside_host = urlsplit(OUTSIDE_URL).hostname
        if outside_host:
            hosts.append(outside_host)
    return hosts


def secret_key() -> str:
    """``DEVPI_SECRET_KEY``, else a key generated once and kept in the data dir."""
    configured = _get("DEVPI_SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret_key"
    try:
        return _read_secret_key_file(path)
    except FileNotFoundError:
        pass
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return _read_secret_key_file(path)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _read_secret_key_file(path: Path) -> str:
    """The kept secret key, refused when others may read it or it is empty
    (a half-written or truncated file must not sign tokens)."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SystemExit(
            f"{path} may be read by other users (mode {mode:04o}): "
            f"run `chmod 600 {path}`, or set DEVPI_SECRET_KEY"
        )
    key = path.read_text().strip()
    if not key:
        # another process may be between creating and writing it
        for _ in range(20):
            time.sleep(0.05)
            key = path.read_text().strip()
            if key:
                break
        else:
            raise SystemExit(
                f"{path} is empty: remove it to have a new key generated "
                f"(this logs everybody out), or set DEVPI_SECRET_KEY"
            )
    return key
