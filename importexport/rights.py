"""Who may import or export: both read or write every user, index and file of
the server, so only the server acting for itself (``manage.py``) or root."""

from __future__ import annotations

from indexes.errors import Forbidden
from indexes.permissions import SERVER, Actor


def check_whole_server(actor: Actor) -> None:
    """Refuse anyone but SERVER and a superuser."""
    if actor is SERVER:
        return
    if actor is None or not actor.is_superuser:
        raise Forbidden("import and export act on the whole server: root only")
