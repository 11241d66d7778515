"""A gunicorn worker's work done before its first request, not during it.

Django imports the URL configuration, and with it every view module, at
the first request a process resolves, and compiles each URL pattern's
regular expression the first time the resolver tries it. Under gunicorn
that was the first request of every worker: pip's first page from a fresh
worker took tens of milliseconds more than the next one. ``warm_up`` is
called by ``gunicorn_conf.post_worker_init``, after the worker loaded the
application and before it accepts a connection. It touches no database
(connections are per thread; the request threads open their own) and
leaves no state a request could see.
"""

from __future__ import annotations

from django.urls import Resolver404, get_resolver

# No route matches it (no user or index name starts with "+", no "+" route
# has this shape), so the resolver tries, and compiles, every pattern.
NO_ROUTE = "/+warm-up/+/+/+/"


def warm_up() -> None:
    """Import the URL configuration and compile all its patterns."""
    try:
        get_resolver().resolve(NO_ROUTE)
    except Resolver404:
        pass
