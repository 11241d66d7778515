"""``rawrows.upsert``: get_or_create and update_or_create as one statement,
leaving the rows the ORM would leave (defaults, timestamps, JSON encoded
alike) and the instances it would give."""

from datetime import timedelta

import pytest
from django.db import connection

from indexes.models import Index
from indexes.rawrows import upsert

pytestmark = pytest.mark.django_db

CONFIG = {"bases": ["alice/other"], "note": "caf\u00e9 \u2603", "nested": {"n": [1, 2.5, None]}}


def _stored_config(index_id: int) -> str:
    """The config column as the database holds it (text, or jsonb as text)."""
    table = connection.ops.quote_name(Index._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT config FROM {table} WHERE id = %s", [index_id])
        (value,) = cursor.fetchone()
    return value if isinstance(value, str) else repr(value)


def _fields(index: Index) -> dict:
    return {f.attname: getattr(index, f.attname) for f in Index._meta.concrete_fields}


def test_insert_fills_in_what_create_fills_and_encodes_json_alike(alice):
    made = Index.objects.create(owner=alice, name="orm", config=CONFIG)
    index = upsert(
        Index, {"owner_id": alice.id, "name": "raw", "config": CONFIG}, unique=("owner_id", "name")
    )
    assert index is not None and index.pk and not index._state.adding
    stored = Index.objects.get(pk=index.pk)
    assert _fields(index) == _fields(stored)
    assert stored.type == Index.STAGE and stored.generation == 0
    assert stored.created == stored.modified and stored.config == CONFIG
    assert _stored_config(index.pk) == _stored_config(made.pk)


def test_a_standing_row_is_left_alone_without_update(alice):
    first = upsert(
        Index, {"owner_id": alice.id, "name": "x", "config": {"a": 1}}, unique=("owner_id", "name")
    )
    assert first is not None
    again = upsert(
        Index, {"owner_id": alice.id, "name": "x", "config": {"a": 2}}, unique=("owner_id", "name")
    )
    assert again is None
    assert Index.objects.get(pk=first.pk).config == {"a": 1}
    assert Index.objects.filter(owner=alice, name="x").count() == 1


def test_a_standing_row_is_updated_as_update_or_create_updates_it(alice):
    old = Index.objects.create(owner=alice, name="x", config={"a": 1}, generation=7)
    Index.objects.filter(pk=old.pk).update(created=old.created - timedelta(days=1))
    values = {"owner_id": alice.id, "name": "x", "config": {"a": 2}}
    index = upsert(Index, values, unique=("owner_id", "name"), update=("config",))
    assert index is not None and index.pk == old.pk
    stored = Index.objects.get(pk=old.pk)
    # the fields updated, the auto_now one too; the others kept, and read back
    assert stored.config == {"a": 2} and stored.modified > old.modified
    assert stored.generation == 7 and stored.created == old.created - timedelta(days=1)
    assert index.generation == 7 and index.created == stored.created and index.config == {"a": 2}
    assert Index.objects.filter(owner=alice).count() == 1
