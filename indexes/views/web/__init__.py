"""The web UI: HTML pages at the same URLs as the JSON API (content
negotiation in ``indexes.views.api`` picks these for text/html), and the
forms of the web UI: login, account settings, index create/edit/delete.

Forms act as the browser session's user (Django's session, with CSRF). The
JSON API never looks at the session: it authenticates by ``X-Devpi-Auth``
and Basic auth only. Every change goes through the same services as the
API, so the validation is the same.

- ``base``: the session's user, the refusal page, the way to the login form;
- ``pages``: the pages at devpi's URLs, search, the project status form;
- ``account``: login, logout, account settings and API tokens;
- ``index_forms``: index create, edit, delete.
"""

from .account import login_page, login_submit, logout, token_create, token_revoke, user_settings
from .base import session_user
from .index_forms import index_create, index_delete, index_edit
from .pages import (
    index_page,
    project_page,
    project_status_submit,
    root_page,
    search,
    status_page,
    user_page,
    version_page,
)

__all__ = [
    "index_create",
    "index_delete",
    "index_edit",
    "index_page",
    "login_page",
    "login_submit",
    "logout",
    "project_page",
    "project_status_submit",
    "root_page",
    "search",
    "session_user",
    "status_page",
    "token_create",
    "token_revoke",
    "user_page",
    "user_settings",
    "version_page",
]
