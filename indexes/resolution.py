"""What an index shows: its resolution order and, per project, which indexes
along it contribute.

devpi's rules:
- the order is breadth-first over ``bases``, each index once, with every
  mirror index moved to the end;
- dependency-confusion guard: once a private (stage) index along the order
  has the project, mirror indexes are skipped for it, unless the project is
  whitelisted (``mirror_whitelist``, ``*`` for all). Whitelists combine along
  the order by intersection (default) or union
  (``mirror_whitelist_inheritance`` of the requested index).
"""

from __future__ import annotations

from collections.abc import Callable

from . import rawrows
from .lookups import index_get, indexes_named
from .models import Index, Project


def _fetch_indexes(names: list[str]) -> dict[str, Index]:
    pairs = []
    for name in names:
        user, _, index = name.partition("/")
        pairs.append((user, index))
    return {ix.fullname: ix for ix in indexes_named(pairs)}


def resolution_order(
    index: Index,
    lookup: Callable[[list[str]], dict[str, Index]] | None = None,
) -> list[Index]:
    """The indexes ``index`` reads from, in order. One query per base level
    (``lookup(names) -> {fullname: Index}`` replaces the queries, e.g. with a
    dict of every index already loaded); missing bases are skipped, cycles
    cannot repeat an index."""
    fetch = lookup or _fetch_indexes
    order: list[Index] = []
    mirrors: list[Index] = []
    seen = {index.fullname}
    level = [index]
    while level:
        next_names: list[str] = []
        for ix in level:
            order.append(ix)
            for base in ix.bases:
                if base not in seen:
                    seen.add(base)
                    next_names.append(base)
        if not next_names:
            break
        found = fetch(next_names)
        level = []
        for name in next_names:
            base_ix = found.get(name)
            if base_ix is None:
                continue
            if base_ix.is_mirror:
                mirrors.append(base_ix)
            else:
                level.append(base_ix)
    if index.is_mirror:
        return order
    return order + mirrors


def visible_indexes(order: list[Index], has_project: set[int], project: str) -> list[Index]:
    """The indexes of ``order`` whose files for ``project`` are shown.

    ``has_project`` holds the ids of the indexes that have the project.
    Pure: table-driven tests cover it.
    """
    inheritance = order[0].config.get("mirror_whitelist_inheritance", "intersection")
    whitelist: set[str] | None = None
    whitelisted = False
    private_hit = False
    result = []
    for ix in order:
        if ix.is_mirror:
            if private_hit and not whitelisted:
                continue
        else:
            own = set(ix.config.get("mirror_whitelist", []))
            if whitelist is None:
                whitelist = own
            elif inheritance == "union":
                whitelist |= own
            else:
                whitelist &= own
            if whitelist & {"*", project}:
                whitelisted = True
            elif ix.id in has_project:
                private_hit = True
        if ix.id in has_project:
            result.append(ix)
    return result


def _projects_named(index_ids: list[int], name: str) -> list[Project]:
    """The project rows named ``name`` on these indexes (at most one each):
    a plain statement, as every first page of a project asks (compiling a
    queryset, or setting up a raw one, cost more than the query)."""
    if not index_ids:
        return []
    marks = ", ".join(["%s"] * len(index_ids))
    return rawrows.rows(Project, f"t.index_id IN ({marks}) AND t.name = %s", [*index_ids, name])


def project_candidates(
    index: Index, project: str, *, ignore_bases: bool = False, order: list[Index] | None = None
) -> tuple[list[Index], dict[int, Project]]:
    """The indexes that may contribute ``project`` to ``index``, in order, and
    the stage indexes' project rows by id. A mirror is a candidate unless the
    guard hides it; whether it has the project is its kind's to say."""
    if order is None:
        order = [index] if ignore_bases else resolution_order(index)
    stage_ids = [ix.id for ix in order if not ix.is_mirror]
    rows = {p.index_id: p for p in _projects_named(stage_ids, project)}
    maybe = set(rows) | {ix.id for ix in order if ix.is_mirror}
    candidates = visible_indexes(order, maybe, project)
    return candidates, {rows[ix.id].id: rows[ix.id] for ix in candidates if ix.id in rows}


def project_sources(
    index: Index, project: str, *, ignore_bases: bool = False
) -> list[tuple[Index, Project]]:
    """(index, project row) pairs of the stage indexes contributing ``project``."""
    candidates, projects = project_candidates(index, project, ignore_bases=ignore_bases)
    by_index = {p.index_id: p for p in projects.values()}
    return [(ix, by_index[ix.id]) for ix in candidates if ix.id in by_index]


# -- a per-process cache of orders, valid while the server's serial stands -------

_ORDERS: dict[tuple[str, str], tuple[int, Index, list[Index]]] = {}
_ORDERS_MAX = 2000


def index_and_order(user: str, name: str, serial: int) -> tuple[Index, list[Index]]:
    """The index ``user/name`` and its resolution order, with generations.

    Every change that can alter an order or a generation bumps the server's
    serial (``wire.serial_bump``), which every request reads anyway; so this
    process keeps what it built for as long as the serial is the same, and
    a simple page request needs no other query. Raises ``NotFound``.
    """
    key = (user, name)
    hit = _ORDERS.get(key)
    if hit is not None and hit[0] == serial:
        return hit[1], hit[2]
    index = index_get(user, name)
    order = resolution_order(index)
    if len(_ORDERS) >= _ORDERS_MAX:
        _ORDERS.clear()
    _ORDERS[key] = (serial, index, order)
    return index, order
