"""Indexes of an export: created with their config validated (plugin keys,
invalid values and missing bases left out and reported); an index that is
here keeps its config, except root/pypi on a fresh server. Mirrors come
without their caches."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from indexes.config import build_config, to_list
from indexes.distribution.names import split_index_name
from indexes.errors import Invalid
from indexes.models import Index
from indexes.serverstate import serial_bump

from . import mapping
from .import_run import ImportRun
from .layout import IndexDump
from .reports import Skipped

# devpi-server's default upstream, for mirror configs of old exports without one
DEVPI_DEFAULT_MIRROR_URL = "https://pypi.org/simple/"


def _bases_lookup(name: str) -> list[str] | None:
    """``indexes.config``'s lookup: an index's bases, None when it is not here."""
    user, _, index = name.partition("/")
    row = (
        Index.objects.filter(owner__username=user, name=index)
        .values_list("config", flat=True)
        .first()
    )
    return None if row is None else list(row.get("bases", []))


def index_import(run: ImportRun, dump: IndexDump) -> None:
    report = run.report
    parts = split_index_name(dump.name)
    if parts is None:
        report.skip(f"index {dump.name!r}", "the name contains characters that are not allowed")
        return
    if dump.type not in (Index.STAGE, Index.MIRROR):
        report.skip(
            f"index {dump.name}", f"index type {dump.type!r} is not supported (a devpi plugin's?)"
        )
        return
    owner = get_user_model().objects.filter(username=parts[0]).first()
    if owner is None:
        report.skip(
            f"index {dump.name}", f"its owner {parts[0]!r} is neither in the export nor here"
        )
        return
    config = _index_config(run, dump)
    index = Index.objects.filter(owner=owner, name=parts[1]).first()
    if index is None:
        with transaction.atomic():
            index = Index.objects.create(owner=owner, name=parts[1], type=dump.type, config=config)
            serial_bump()
        report.created["indexes"] += 1
        run.progress(f"index {dump.name}: created ({dump.type})")
    elif index.type != dump.type:
        report.skip(
            f"index {dump.name}",
            f"exists here as a {index.type} index, the export has a {dump.type} index",
        )
        return
    elif index.config == config:
        report.unchanged["indexes"] += 1
    elif run.fresh and dump.name == "root/pypi":
        with transaction.atomic():
            index.config = config
            index.save(update_fields=["config", "modified"])
            serial_bump(index.id)
        report.updated["indexes"] += 1
        run.progress(f"index {dump.name}: config taken from the export")
    else:
        report.unchanged["indexes"] += 1
        keys = sorted(
            k for k in set(config) | set(index.config) if config.get(k) != index.config.get(k)
        )
        report.kept.append(Skipped(f"index {dump.name}", "config differs in " + ", ".join(keys)))
    if dump.type == Index.STAGE:
        run.stages.append((dump, index))
    elif dump.files or any(dump.projects.values()):
        report.skip(
            f"index {dump.name}: {len(dump.files)} mirrored files",
            "mirror caches are not imported; the mirror fetches files again on demand",
        )


def _index_config(run: ImportRun, dump: IndexDump) -> dict:
    """The validated config to store, leaving out (and reporting) what
    cannot be kept: plugin keys, invalid values, bases that do not exist."""
    requested, skipped_keys = mapping.index_config_from_devpi(dump.config)
    for item in skipped_keys:
        run.report.skip(f"index {dump.name}: option {item.key}={item.value!r}", item.reason)
    index_type = requested.pop("type")
    if index_type == Index.STAGE and "bases" in requested:
        try:
            bases = to_list(requested["bases"])
        except Invalid:
            bases = []
        kept = []
        for base in bases:
            if _bases_lookup(base) is not None:
                kept.append(base)
            elif base in run.tree.indexes:
                run.report.skip(
                    f"index {dump.name}: base {base}",
                    "the bases form a cycle (devpi-import refuses it too)",
                )
            else:
                run.report.skip(f"index {dump.name}: base {base}", "neither in the export nor here")
        requested["bases"] = kept
    if index_type == Index.MIRROR and not requested.get("mirror_url"):
        requested["mirror_url"] = settings.DEVPI.get("MIRROR_URL") or DEVPI_DEFAULT_MIRROR_URL
        run.report.notes.append(
            f"index {dump.name}: the export names no mirror_url; using {requested['mirror_url']}"
        )
    owner = dump.user
    build = lambda data: build_config(  # noqa: E731
        index_type=index_type,
        owner=owner,
        fullname=dump.name,
        current=None,
        requested=data,
        get_bases=_bases_lookup,
    )
    try:
        return build(requested)
    except Invalid:
        pass
    good: dict[str, Any] = {}
    for key, value in requested.items():
        try:
            build({**good, key: value})
        except Invalid as exc:
            run.report.skip(f"index {dump.name}: option {key}={value!r}", exc.message)
        else:
            good[key] = value
    return build(good)
