"""Django settings. Deploy-time values come from ``devpi_django.env`` only."""

import ipaddress
from typing import Any

import dj_database_url

from devpi_django import __version__, env
from ops.logs import logging_config

BASE_DIR = env.BASE_DIR
DATA_DIR = env.DATA_DIR

SECRET_KEY = env.secret_key()
DEBUG = env.DEBUG
ALLOWED_HOSTS = env.allowed_hosts()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # the OpenAPI document (/+openapi.json) and Swagger UI's files (/+api/docs/)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "indexes",
    "client",
    "mirror",
    "importexport",
    "toxresults",
    "ops",
]

MIDDLEWARE = [
    # first: proxy headers (X-Outside-Url, X-Forwarded-*) count only from
    # DEVPI_TRUSTED_PROXIES, before anything reads them
    "indexes.proxies.TrustedProxyMiddleware",
    "ops.middleware.RequestObservabilityMiddleware",
    # the audit context, Django's SecurityMiddleware (https redirect, HSTS,
    # nosniff, Referrer-Policy, COOP), the Content-Security-Policy and
    # devpi's X-Devpi-* headers, in one layer
    "indexes.middleware.ResponseHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session (made on first use: nothing is built for installers,
    # which never send a cookie), CSRF, authentication, message (made on
    # first use) and X-Frame-Options middlewares, in one layer
    "indexes.browser.BrowserMiddleware",
]

# DRF carries the wire (indexes/rest): the views name their own renderers,
# parsers and authenticators; these are the defaults and the one handler
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["indexes.rest.renderers.DevpiJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["indexes.rest.parsers.LimitedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["indexes.rest.authentication.DevpiAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "indexes.rest.negotiation.DevpiNegotiation",
    "EXCEPTION_HANDLER": "indexes.rest.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
    "DEFAULT_SCHEMA_CLASS": "indexes.rest.schema.DevpiAutoSchema",
}

# the OpenAPI 3 document of the DRF views; its descriptions live in
# indexes/rest/schema.py. Swagger UI's files come from the sidecar package
# through our static files (nothing from other hosts: see the
# Content-Security-Policy in indexes/middleware.py).
SPECTACULAR_SETTINGS = {
    "TITLE": "devpi-django",
    "DESCRIPTION": "devpi-server's HTTP protocol: users, indexes, projects, versions, "
    "uploads, push, login and the simple repository API (PEP 503/691).",
    "VERSION": __version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "DEFAULT_GENERATOR_CLASS": "indexes.rest.schema.DevpiSchemaGenerator",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # the session (browser reads) is the web UI's business, not the API's
    "AUTHENTICATION_WHITELIST": ["indexes.rest.authentication.DevpiAuthentication"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "indexes.rest.schema.describe_path_parameters",
    ],
}

ROOT_URLCONF = "devpi_django.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "devpi_django.wsgi.application"

DATABASES = {"default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=600)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # connections are kept across requests: opening one cost a fifth of a
    # cached simple page (bench/README.md)
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["OPTIONS"] = {
        # WAL, a busy timeout and IMMEDIATE write transactions: parallel
        # clients wait for the write lock instead of failing with
        # "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# every password check goes through django.contrib.auth.authenticate() and
# these backends (indexes.auth.check_password_credentials): LDAP and others
# plug in with DEVPI_AUTHENTICATION_BACKENDS
AUTHENTICATION_BACKENDS = env.AUTHENTICATION_BACKENDS

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []  # devpi's API accepts any password, even ""

# New passwords use the first: argon2id with devpi-server's parameters, so
# exported hashes work on a devpi-server again and imported ones are kept as
# they are. The others verify what older setups and devpi-server's oldest
# exports hold (importexport) and are replaced by the first at the
# user's next successful login.
PASSWORD_HASHERS = [
    "indexes.hashers.DevpiArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "indexes.hashers.DevpiSaltedSHA256PasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "+static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# the application serves its own static files (WhiteNoise), also without a
# collectstatic run: files are found at start-up through the finders
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there at start-up

if env.STORAGE == "s3":
    if not env.S3_BUCKET:
        raise SystemExit("DEVPI_STORAGE=s3 needs DEVPI_S3_BUCKET")
    _blob_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.S3_BUCKET,
            "endpoint_url": env.S3_ENDPOINT_URL,
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
        },
    }
elif env.STORAGE == "filesystem":
    _blob_storage = {
        "BACKEND": "indexes.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    }
else:
    raise SystemExit(f"DEVPI_STORAGE must be 'filesystem' or 's3', got {env.STORAGE!r}")

if env.FILE_SERVING not in ("app", "x-accel-redirect", "x-sendfile", "redirect"):
    raise SystemExit("DEVPI_FILE_SERVING must be app, x-accel-redirect, x-sendfile or redirect")
if env.FILE_SERVING == "redirect" and env.STORAGE != "s3":
    raise SystemExit("DEVPI_FILE_SERVING=redirect needs DEVPI_STORAGE=s3")

STORAGES = {
    "default": _blob_storage,
    "blobs": _blob_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

if env.REDIS_URL:
    _shared_cache: dict[str, Any] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.REDIS_URL,
    }
    # "throttle": failed-login counters (indexes.throttle); without Redis
    # they live in the database, shared by every worker and server
    CACHES = {"default": _shared_cache, "credentials": _shared_cache, "throttle": _shared_cache}
else:
    CACHES = {
        # simple pages: per process (keys carry generations, so never stale),
        # kept as objects, not pickled (indexes/simple/memory.py)
        "default": {
            "BACKEND": "indexes.simple.memory.PageMemoryCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
        # verified credentials: shared by the workers of this machine, so a
        # password is checked with the slow hasher once, not once per worker
        "credentials": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache" / "credentials"),
            "OPTIONS": {"MAX_ENTRIES": 10000},
        },
    }

# Uploads: files over 2.5 MB are spooled to a temporary file by Django.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.MAX_JSON_BYTES
FILE_UPLOAD_TEMP_DIR = None

CELERY_BROKER_URL = env.CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = not env.CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# beat runs as its own process (docs/deploy.md, "Periodic tasks")
CELERY_BEAT_SCHEDULE = {
    "mirror-leases-cleanup": {"task": "mirror.tasks.mirror_leases_cleanup", "schedule": 600.0},
}
if env.MIRROR_LIST_REFRESH_SECONDS > 0:  # opt-in, off by default
    CELERY_BEAT_SCHEDULE["mirror-project-lists"] = {
        "task": "mirror.tasks.mirror_refresh_all_project_lists",
        "schedule": float(env.MIRROR_LIST_REFRESH_SECONDS),
    }
if env.AUDIT_RETENTION_DAYS:  # the audit trail's retention, enforced daily by beat
    CELERY_BEAT_SCHEDULE["audit-prune"] = {
        "task": "indexes.tasks.audit_prune",
        "schedule": 24 * 3600.0,
    }

LOGIN_URL = "/+login"

# -- behind TLS (README "Security") ----------------------------------------
# DEVPI_HTTPS=1: the site is reached over https, directly or through a proxy
# in DEVPI_TRUSTED_PROXIES that sends X-Forwarded-Proto (the header is
# dropped from everybody else by indexes.proxies.TrustedProxyMiddleware).
if env.HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.HSTS_SECONDS
    # includeSubDomains and preload bind every other host of the operator's
    # domain to https (preload for years): a decision for the operator's
    # front proxy, not for one application, so Django's advice is silenced
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
# "Django's SecurityMiddleware, XFrameOptionsMiddleware, CsrfViewMiddleware
# (and for the admin: its session, authentication and message middlewares)
# are not in MIDDLEWARE": ours do their work, and indexes/checks.py runs these
# checks again for them
DEVPI_MIDDLEWARE_PRESENCE_CHECKS = (
    "security.W001",
    "security.W002",
    "security.W003",
    "admin.E408",
    "admin.E409",
    "admin.E410",
)
SILENCED_SYSTEM_CHECKS = [
    *globals().get("SILENCED_SYSTEM_CHECKS", []),
    *DEVPI_MIDDLEWARE_PRESENCE_CHECKS,
]
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
# the web UI's forms: behind a proxy the browser's Origin is the outside URL
CSRF_TRUSTED_ORIGINS = [env.OUTSIDE_URL] if env.OUTSIDE_URL else []

DEVPI: dict[str, Any] = {
    "OUTSIDE_URL": env.OUTSIDE_URL,
    "ROOT_PASSWORD": env.ROOT_PASSWORD,
    "RESTRICT_MODIFY": env.RESTRICT_MODIFY,
    "MIRROR_URL": env.MIRROR_URL,
    "MIRROR_TIMEOUT": env.MIRROR_TIMEOUT,
    "MIRROR_MAX_PAGE_BYTES": env.MIRROR_MAX_PAGE_BYTES,
    "MIRROR_MAX_FILE_BYTES": env.MIRROR_MAX_FILE_BYTES,
    "TRANSFER_TIMEOUT": env.TRANSFER_TIMEOUT,
    "ALLOW_PRIVATE_UPSTREAMS": env.ALLOW_PRIVATE_UPSTREAMS,
    "MAX_UPLOAD_BYTES": env.MAX_UPLOAD_BYTES,
    "FILE_SERVING": env.FILE_SERVING,
    "X_ACCEL_PREFIX": env.X_ACCEL_PREFIX,
    "MAX_JSON_BYTES": env.MAX_JSON_BYTES,
    "DOC_MAX_FILES": env.DOC_MAX_FILES,
    "DOC_MAX_BYTES": env.DOC_MAX_BYTES,
    "ARCHIVE_MAX_MEMBERS": env.ARCHIVE_MAX_MEMBERS,
    "LOGIN_EXPIRATION": 36000,
    "CREDENTIAL_CACHE_SECONDS": 300,
    "LOGIN_FAILURE_LIMIT": env.LOGIN_FAILURE_LIMIT,
    "LOGIN_ADDRESS_FAILURE_LIMIT": env.LOGIN_ADDRESS_FAILURE_LIMIT,
    "LOGIN_FAILURE_WINDOW": env.LOGIN_FAILURE_WINDOW,
    "TRUSTED_PROXIES": env.TRUSTED_PROXIES,
    "DESCRIPTION_MAX_RENDER_BYTES": env.DESCRIPTION_MAX_RENDER_BYTES,
    "AUDIT_RETENTION_DAYS": env.AUDIT_RETENTION_DAYS,
}

if env.LOG_FORMAT not in ("text", "json"):
    raise SystemExit(f"DEVPI_LOG_FORMAT must be 'text' or 'json', got {env.LOG_FORMAT!r}")
DEVPI_LOG_FORMAT = env.LOG_FORMAT
LOGGING = logging_config(env.LOG_FORMAT, env.LOG_LEVEL)

try:
    DEVPI_METRICS_ALLOWED = [
        ipaddress.ip_network(cidr, strict=False) for cidr in env.METRICS_ALLOWED
    ]
except ValueError as exc:
    raise SystemExit(f"DEVPI_METRICS_ALLOWED: {exc}") from None
DEVPI_REDIS_URL = env.REDIS_URL
