"""Import and export refuse anyone but the server itself and root, in the
app's own entry points (``importexport/rights.py``), whoever calls them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from importexport.exporter import devpi_export
from importexport.importer import devpi_import
from importexport.rights import check_whole_server
from indexes.errors import Forbidden
from indexes.models import Index
from indexes.permissions import SERVER
from tests.fixtures import create_user, stage


@pytest.mark.django_db
def test_export_refuses_a_user_who_is_not_root_and_writes_nothing(tmp_path, alice):
    target = tmp_path / "export"
    for actor in (alice, None):
        with pytest.raises(Forbidden, match="root only"):
            devpi_export(target, actor=actor)
    assert not target.exists()


@pytest.mark.django_db
def test_import_refuses_a_user_who_is_not_root_and_changes_nothing(tmp_path, alice, root):
    stage(alice, "dev")
    source = tmp_path / "export"
    devpi_export(source, actor=root)
    Index.objects.all().delete()
    users = set(get_user_model().objects.values_list("username", flat=True))
    with pytest.raises(Forbidden, match="root only"):
        devpi_import(source, actor=alice)
    assert not Index.objects.exists()
    assert set(get_user_model().objects.values_list("username", flat=True)) == users


@pytest.mark.django_db
def test_the_server_and_root_pass():
    check_whole_server(SERVER)
    check_whole_server(create_user("admin2", superuser=True))
