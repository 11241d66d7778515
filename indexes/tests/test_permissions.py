"""Who may do what: devpi's rules as plain functions of the acting user."""

import pytest
from django.contrib.auth.models import Group

from indexes import permissions as p
from indexes.config import ANONYMOUS, AUTHENTICATED

from .conftest import create_user, mirror_index, stage

pytestmark = pytest.mark.usefixtures("unrestricted")


@pytest.fixture
def restricted(settings):
    def restrict(*names):
        settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": list(names)}

    return restrict


@pytest.fixture
def carol(db):
    user = create_user("carol")
    user.groups.add(Group.objects.create(name="admins"))
    return user


def test_principals(alice, carol):
    assert p.principals(None) == {ANONYMOUS}
    assert p.principals(alice) == {ANONYMOUS, AUTHENTICATED, "alice"}
    assert p.principals(carol) == {ANONYMOUS, AUTHENTICATED, "carol", ":admins:", ":admins"}


def test_unrestricted_users(root, alice, bob):
    assert p.may_create_user(None) and p.may_create_user(alice)
    assert p.may_modify_user(alice, "alice")
    assert p.may_modify_user(root, "alice")
    assert not p.may_modify_user(bob, "alice")
    assert not p.may_modify_user(None, "alice")
    assert p.may_delete_user(alice, "alice")
    assert p.may_delete_user(root, "alice")
    assert not p.may_delete_user(bob, "alice")
    assert not p.may_delete_user(root, "root")
    assert not p.may_delete_user(None, "alice")


def test_restricted_users(restricted, root, alice, bob, carol):
    restricted("bob", ":admins:")
    assert not p.may_create_user(None)
    assert not p.may_create_user(alice)
    assert not p.may_create_user(root)  # root only when listed
    assert p.may_create_user(bob) and p.may_create_user(carol)
    assert p.may_modify_user(bob, "alice")
    assert not p.may_modify_user(alice, "alice")
    assert p.may_modify_user(alice, "alice", password_only=True)
    assert not p.may_modify_user(alice, "bob", password_only=True)
    assert p.may_delete_user(carol, "alice")
    assert not p.may_delete_user(alice, "alice")


def test_a_bare_name_is_a_user_never_a_group(restricted, carol):
    restricted("admins")
    assert not p.may_create_user(carol)
    restricted(":admins")  # devpi's spelling of a group
    assert p.may_create_user(carol)
    restricted(":admins:")
    assert p.may_create_user(carol)


def test_a_group_named_like_a_user_is_not_that_user(alice, bob):
    bob.groups.add(Group.objects.create(name="alice"))
    dev = stage(alice, "dev")  # acl_upload: ["alice"]
    assert p.may_upload(alice, dev)
    assert not p.may_upload(bob, dev)
    assert not p.may_modify_index(bob, dev)
    assert not p.may_modify_user(bob, "alice")


def test_index_management(restricted, root, alice, bob):
    dev = stage(alice, "dev")
    assert p.may_create_index(alice, "alice") and p.may_create_index(root, "alice")
    assert not p.may_create_index(bob, "alice") and not p.may_create_index(None, "alice")
    assert p.may_modify_index(alice, dev) and p.may_modify_index(root, dev)
    assert not p.may_modify_index(bob, dev)
    restricted("bob")
    assert not p.may_create_index(alice, "alice")
    assert p.may_create_index(bob, "alice")
    assert p.may_modify_index(bob, dev) and not p.may_modify_index(alice, dev)


def test_upload_acl(root, alice, bob):
    dev = stage(alice, "dev")
    assert p.may_upload(alice, dev)
    assert not p.may_upload(bob, dev) and not p.may_upload(None, dev)
    assert not p.may_upload(root, dev)  # root is not in the acl
    members = stage(alice, "members", acl_upload=":AUTHENTICATED:")
    assert p.may_upload(bob, members) and not p.may_upload(None, members)
    everyone = stage(alice, "everyone", acl_upload=":anonymous:")
    assert p.may_upload(None, everyone)
    nobody = stage(alice, "nobody", acl_upload="")
    assert not p.may_upload(alice, nobody)
    mirror = mirror_index(root)
    mirror.config["acl_upload"] = [ANONYMOUS]
    assert not p.may_upload(root, mirror)


def test_group_acl(alice, carol):
    dev = stage(alice, "dev", acl_upload=":admins:")
    assert p.may_upload(carol, dev) and not p.may_upload(alice, dev)


def test_toxresult_acl(root, alice, bob):
    dev = stage(alice, "dev")
    assert p.may_upload_toxresult(None, dev)
    closed = stage(alice, "closed", acl_toxresult_upload="alice")
    assert p.may_upload_toxresult(alice, closed) and not p.may_upload_toxresult(bob, closed)
    assert not p.may_upload_toxresult(None, mirror_index(root))


def test_delete_entries_is_the_union_of_acl_owner_and_root(root, alice, bob):
    dev = stage(alice, "dev", acl_upload=["bob"])
    assert p.may_delete_entries(alice, dev)  # owner, although not in the acl
    assert p.may_delete_entries(bob, dev)
    assert p.may_delete_entries(root, dev)
    assert not p.may_delete_entries(None, dev)
    assert not p.may_delete_entries(create_user("eve"), dev)
    # anonymous never deletes, even where anonymous may upload
    assert not p.may_delete_entries(None, stage(alice, "open", acl_upload=":ANONYMOUS:"))
