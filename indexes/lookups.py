"""An index by its name: the lookup that resolution, selectors and services
all start from (below both ``resolution`` and ``selectors``, so neither
imports the other to find an index)."""

from __future__ import annotations

from .errors import NotFound
from .models import Index


def index_get(username: str, name: str) -> Index:
    index = (
        Index.objects.filter(owner__username=username, name=name).select_related("owner").first()
    )
    if index is None:
        raise NotFound(f"The stage {username}/{name} could not be found.")
    return index


def index_get_by_fullname(fullname: str) -> Index:
    user, _, name = fullname.strip("/").partition("/")
    return index_get(user, name)
