"""Django's system checks of the middlewares that ours stand in for.

Several of Django's checks look for its own middlewares by name in
``MIDDLEWARE``: whether each is there (``security.W001``, ``W002``,
``W003``; the admin's ``admin.E408``-``E410``), and the settings each reads
(HSTS, nosniff, redirect, Referrer-Policy, COOP, X-Frame-Options, the CSRF
cookie) only when it is. ``ResponseHeadersMiddleware`` and
``BrowserMiddleware`` do those middlewares' work with the same settings, so
those checks run here once more, on ``MIDDLEWARE`` as Django would see it
with ours written out as the middlewares they stand for. The "is it there"
messages of Django's own run are silenced in the settings (they would say a
middleware is missing when ours does its work); from this run they come with
``devpi.`` before their id, and only when neither ours nor Django's is there.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.checks import check_dependencies
from django.core.checks import CheckMessage, Tags, register
from django.core.checks.security import base, csrf

STANDS_FOR = {
    "indexes.middleware.ResponseHeadersMiddleware": (
        "django.middleware.security.SecurityMiddleware",
    ),
    "indexes.browser.BrowserMiddleware": (
        "indexes.browser.LazySessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "indexes.browser.LazyMessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ),
}

# silenced in devpi_django/settings.py (SILENCED_SYSTEM_CHECKS), which lists
# them once as DEVPI_MIDDLEWARE_PRESENCE_CHECKS
SILENCED_PRESENCE: tuple[str, ...] = tuple(settings.DEVPI_MIDDLEWARE_PRESENCE_CHECKS)

# Django's checks (--deploy) that depend on the middlewares' names
DEPLOY_CHECKS = (
    base.check_security_middleware,
    base.check_xframe_options_middleware,
    base.check_sts,
    base.check_sts_include_subdomains,
    base.check_sts_preload,
    base.check_content_type_nosniff,
    base.check_ssl_redirect,
    base.check_xframe_deny,
    base.check_referrer_policy,
    base.check_cross_origin_opener_policy,
    csrf.check_csrf_middleware,
    csrf.check_csrf_cookie_secure,
)


def written_out(middleware: list[str]) -> list[str]:
    """``MIDDLEWARE`` with each of ours replaced by what it stands for."""
    return [name for entry in middleware for name in STANDS_FOR.get(entry, (entry,))]


def _rerun(checks, app_configs, kwargs, only=None) -> list[CheckMessage]:
    listed = list(settings.MIDDLEWARE)
    if not any(entry in STANDS_FOR for entry in listed):
        # Django's own run saw the settings as they are: only the silenced
        # "is it there" messages are wanted again
        only = tuple(i for i in (only or SILENCED_PRESENCE) if i in SILENCED_PRESENCE)
    settings.MIDDLEWARE = written_out(listed)
    try:
        found = [message for check in checks for message in check(app_configs, **kwargs)]
    finally:
        settings.MIDDLEWARE = listed
    messages = []
    for message in found:
        if only is not None and message.id not in only:
            continue
        if message.id in SILENCED_PRESENCE:
            message = type(message)(
                message.msg, hint=message.hint, obj=message.obj, id=f"devpi.{message.id}"
            )
        messages.append(message)
    return messages


@register(Tags.security, deploy=True)
def check_security_middlewares(app_configs, **kwargs):
    return _rerun(DEPLOY_CHECKS, app_configs, kwargs)


@register(Tags.admin)
def check_admin_middlewares(app_configs, **kwargs):
    # the admin's other dependencies (templates, apps) Django's run checks
    return _rerun(
        [lambda app_configs, **kw: check_dependencies(**kw)],
        app_configs,
        kwargs,
        only=("admin.E408", "admin.E409", "admin.E410"),
    )
