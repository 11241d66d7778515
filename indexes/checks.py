"""System checks of our own middleware.

Django's security checks (``manage.py check --deploy``) look at the
``SECURE_*`` settings only when ``django.middleware.security.SecurityMiddleware``
is in ``MIDDLEWARE``. ``indexes.middleware.ResponseHeadersMiddleware`` does
that middleware's work with the same settings, so the same checks are run as
if it were there; Django's "not in MIDDLEWARE" warning (``security.W001``) is
silenced in the settings and stands here as ``devpi.W001``, given when
neither middleware is listed."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.checks.security import base

HEADERS_MIDDLEWARE = "indexes.middleware.ResponseHeadersMiddleware"
DJANGO_SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"

# Django's checks of the settings SecurityMiddleware reads
SECURITY_SETTINGS_CHECKS = (
    base.check_sts,
    base.check_sts_include_subdomains,
    base.check_sts_preload,
    base.check_content_type_nosniff,
    base.check_ssl_redirect,
    base.check_referrer_policy,
    base.check_cross_origin_opener_policy,
)

W001 = Warning(
    f"Neither {HEADERS_MIDDLEWARE} nor {DJANGO_SECURITY_MIDDLEWARE} is in MIDDLEWARE: "
    "the SECURE_* settings take no effect.",
    id="devpi.W001",
)


@register(Tags.security, deploy=True)
def check_security_headers(app_configs, **kwargs):
    if DJANGO_SECURITY_MIDDLEWARE in settings.MIDDLEWARE:
        return []  # Django checks its own
    if HEADERS_MIDDLEWARE not in settings.MIDDLEWARE:
        return [W001]
    found = base._security_middleware
    base._security_middleware = lambda: True  # Django's checks, as if it were there
    try:
        return [
            message
            for check in SECURITY_SETTINGS_CHECKS
            for message in check(app_configs, **kwargs)
        ]
    finally:
        base._security_middleware = found
