"""PEP 792 project status markers: what a status means where.

- ``active`` (no marker: the default), ``deprecated``: informational;
- ``archived``: the index refuses uploads of the project;
- ``quarantined``: the index refuses uploads, lists no files of the
  project, and refuses every file URL of it -- on the index that set it
  and on every index whose resolution order includes that index, so a
  package found malicious upstream is blocked on every stage over the
  mirror while the mirror stays on.

What an index shows (``effective``): a quarantine anywhere along the order
wins; otherwise the first status set along the order by the index itself or
by an index that contributes the project's files.

Statuses change rarely and are read on every file request, so this process
keeps the set of quarantined names while the server's serial stands
(every status change bumps it): a file request on a server without
quarantines costs no query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection

from .distribution.filenames import InvalidFilename, parse_filename
from .distribution.names import normalize_name
from .errors import Forbidden
from .models import ProjectStatus

if TYPE_CHECKING:
    from .models import Index

STATUSES = ("active", "archived", "deprecated", "quarantined")
REFUSES_UPLOADS = ("archived", "quarantined")
MAX_REASON = 1000


@dataclass(frozen=True)
class Status:
    status: str
    reason: str = ""
    index: str = ""  # "user/index" that set it


def statuses_along(
    order: Sequence[Index], name: str, serial: int | None = None
) -> dict[int, Status]:
    """{index id: Status} of ``name`` on the indexes of ``order``: from this
    process's table while ``serial`` stands, else one query."""
    names = {ix.id: ix.fullname for ix in order}
    if serial is not None:
        table = _table(serial)
        return {
            index_id: Status(*table[(index_id, name)], names[index_id])
            for index_id in names
            if (index_id, name) in table
        }
    rows = ProjectStatus.objects.filter(index_id__in=list(names), name=name).values_list(
        "index_id", "status", "reason"
    )
    return {index_id: Status(status, reason, names[index_id]) for index_id, status, reason in rows}


def effective(
    order: Sequence[Index], statuses: dict[int, Status], contributing: set[int]
) -> Status | None:
    """The status ``order[0]`` shows for a project. Pure.

    A quarantine on any index of the order wins; else the first status set
    by the index itself or by an index that contributes the project.
    """
    for ix in order:
        found = statuses.get(ix.id)
        if found is not None and found.status == "quarantined":
            return found
    for position, ix in enumerate(order):
        found = statuses.get(ix.id)
        if found is not None and (position == 0 or ix.id in contributing):
            return found
    return None


def status_of(
    index: Index, name: str, order: list[Index] | None = None, serial: int | None = None
) -> Status | None:
    """The effective status of ``name`` on ``index`` (its own and its bases')."""
    from .resolution import project_candidates, resolution_order

    order = order if order is not None else resolution_order(index)
    statuses = statuses_along(order, name, serial)
    if not statuses:
        return None
    candidates, _projects = project_candidates(index, name, order=order)
    return effective(order, statuses, {ix.id for ix in candidates})


def check_upload(index: Index, name: str) -> None:
    """Refuse uploads (and pushes) of an archived or quarantined project."""
    row = ProjectStatus.objects.filter(
        index=index, name=normalize_name(name), status__in=REFUSES_UPLOADS
    ).first()
    if row is not None:
        raise Forbidden(
            f"project {row.name} is {row.status} on {index.fullname}: uploads are refused"
        )


# -- quarantined files --------------------------------------------------------------

# serial -> ({(index id, name): (status, reason)}, {index id: quarantined names});
# statuses are set by hand, so the table stays small
# {(index id, project name): (status, reason)}
_StatusTable = dict[tuple[int, str], tuple[str, str]]
_TABLE: dict[str, tuple[int, _StatusTable, dict[int, set[str]]]] = {}


def _load(serial: int) -> tuple[_StatusTable, dict[int, set[str]]]:
    hit = _TABLE.get("all")
    if hit is not None and hit[0] == serial:
        return hit[1], hit[2]
    table: _StatusTable = {}
    quarantined: dict[int, set[str]] = {}
    # a plain statement: asked after every change of the serial, which on a
    # mirror filling up is most requests (the queryset's compilation cost
    # several times the query)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT index_id, name, status, reason FROM {ProjectStatus._meta.db_table} "
            "ORDER BY index_id, name"
        )
        rows = cursor.fetchall()
    for index_id, name, status, reason in rows:
        table[(index_id, name)] = (status, reason)
        if status == "quarantined":
            quarantined.setdefault(index_id, set()).add(name)
    _TABLE["all"] = (serial, table, quarantined)
    return table, quarantined


def _table(serial: int) -> _StatusTable:
    return _load(serial)[0]


def quarantined_names(serial: int) -> dict[int, set[str]]:
    """{index id: quarantined project names}, kept while ``serial`` stands."""
    return _load(serial)[1]


def file_projects(filename: str) -> set[str]:
    """The project names a ``+f`` file name may belong to (release files,
    their ``.metadata``, doczips, tox results); every candidate when an old
    name is ambiguous, so a quarantine errs on the side of refusing."""
    base = filename.split(".toxresult-", 1)[0]
    base = base.removesuffix(".metadata")
    if base.endswith(".doc.zip"):
        return {normalize_name(base[: -len(".doc.zip")].rpartition("-")[0] or base)}
    try:
        return {parse_filename(base).project}
    except InvalidFilename:
        parts = base.split("-")
        return {normalize_name("-".join(parts[:n])) for n in range(1, max(len(parts), 2))}


def check_file(order: Sequence[Index], path: str, serial: int) -> None:
    """Refuse a ``+f`` path of a project quarantined along ``order``."""
    quarantined = quarantined_names(serial)
    if not quarantined:
        return
    names = set()
    for ix in order:
        names |= quarantined.get(ix.id, set())
    if not names:
        return
    blocked = file_projects(path.rpartition("/")[2]) & names
    if blocked:
        raise Forbidden(
            f"project {sorted(blocked)[0]} is quarantined on {order[0].fullname}: "
            "its files are not served"
        )
