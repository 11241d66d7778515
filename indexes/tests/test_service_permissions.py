"""The services refuse, by themselves, what the acting user they are given may
not do (``actor=``); without one (``permissions.SERVER``) they act for the
server. ``manage.py devpi`` relies on this: its verbs check nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from indexes import selectors
from indexes.errors import Forbidden
from indexes.models import ApiToken, Index, Project, Release, ReleaseFile
from indexes.permissions import SERVER
from indexes.services import indexes as index_services
from indexes.services import removal, tokens, users

from .conftest import stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def restricted(settings):
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": ["root"]}


@pytest.fixture
def unrestricted(settings):
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": None}


def user_exists(name: str) -> bool:
    return get_user_model().objects.filter(username=name).exists()


# -- users ---------------------------------------------------------------------------


def test_user_create_refused_where_creating_users_is_restricted(alice, root, restricted):
    with pytest.raises(Forbidden, match="user 'alice' may not create users"):
        users.user_create(username="carol", data={"password": "x"}, actor=alice)
    assert not user_exists("carol")
    users.user_create(username="carol", data={"password": "x"}, actor=root)
    users.user_create(username="dave", data={"password": "x"})  # the server itself
    assert user_exists("carol") and user_exists("dave")


def test_user_modify_refused_for_someone_else(alice, bob, unrestricted):
    with pytest.raises(Forbidden, match="user 'bob' may not modify user 'alice'"):
        users.user_modify(user=alice, data={"email": "evil@example.org"}, actor=bob)
    alice.refresh_from_db()
    assert alice.email == ""
    users.user_modify(user=alice, data={"email": "a@example.org"}, actor=alice)
    alice.refresh_from_db()
    assert alice.email == "a@example.org"


def test_user_modify_own_password_only_where_restricted(alice, restricted):
    with pytest.raises(Forbidden, match="user 'alice' may not modify user 'alice'"):
        users.user_modify(user=alice, data={"email": "a@example.org"}, actor=alice)
    assert users.user_modify(user=alice, data={"password": "new"}, actor=alice)


def test_user_delete_refused(alice, bob, root, unrestricted):
    with pytest.raises(Forbidden, match="user 'bob' may not delete user 'alice'"):
        users.user_delete(user=alice, actor=bob)
    with pytest.raises(Forbidden, match="user 'root' may not delete user 'root'"):
        users.user_delete(user=root, actor=root)
    assert user_exists("alice") and user_exists("root")
    users.user_delete(user=alice, actor=alice)
    assert not user_exists("alice")


# -- indexes ---------------------------------------------------------------------------


def test_index_create_modify_delete_refused_for_others(alice, bob, unrestricted):
    with pytest.raises(Forbidden, match="user 'bob' may not create index alice/dev"):
        index_services.index_create(owner=alice, name="dev", data={}, actor=bob)
    assert not Index.objects.exists()
    dev = index_services.index_create(owner=alice, name="dev", data={}, actor=alice)
    with pytest.raises(Forbidden, match="user 'bob' may not modify index alice/dev"):
        index_services.index_modify(index=dev, data=["title=x"], actor=bob)
    dev.refresh_from_db()
    assert "title" not in dev.config
    with pytest.raises(Forbidden, match="user 'bob' may not delete index alice/dev"):
        index_services.index_delete(index=dev, actor=bob)
    assert Index.objects.filter(pk=dev.pk).exists()
    index_services.index_modify(index=dev, data=["title=x"], actor=alice)
    index_services.index_delete(index=dev, actor=alice)
    assert not Index.objects.exists()


def test_index_create_restricted_to_the_listed_users(alice, root, restricted):
    with pytest.raises(Forbidden, match="user 'alice' may not create index alice/dev"):
        index_services.index_create(owner=alice, name="dev", data={}, actor=alice)
    index_services.index_create(owner=alice, name="dev", data={}, actor=root)


# -- removal ---------------------------------------------------------------------------


def release_file(index: Index, version: str = "1.0") -> ReleaseFile:
    project, _ = Project.objects.get_or_create(index=index, name="pkg")
    release = Release.objects.create(project=project, version=version)
    return ReleaseFile.objects.create(
        index=index,
        release=release,
        filename=f"pkg-{version}.tar.gz",
        sha256="0" * 64,
        size=1,
        packagetype="sdist",
        pyversion="source",
        uploaded_at=timezone.now(),
    )


def test_removal_needs_the_delete_right(alice, bob, unrestricted):
    dev = stage(alice, "dev")
    file = release_file(dev)
    refusal = "user 'bob' may not remove releases from alice/dev"
    with pytest.raises(Forbidden, match=refusal):
        removal.project_delete(index=dev, project="pkg", actor=bob)
    with pytest.raises(Forbidden, match=refusal):
        removal.release_delete(index=dev, project="pkg", version="1.0", actor=bob)
    with pytest.raises(Forbidden, match=refusal):
        removal.release_file_delete(index=dev, file=file, actor=bob)
    assert ReleaseFile.objects.count() == 1
    dev.config["acl_upload"] = ["alice", "bob"]
    dev.save()
    removal.release_file_delete(index=dev, file=file, actor=bob)
    assert not ReleaseFile.objects.exists()


def test_removal_on_a_non_volatile_index_needs_force_by_owner_or_root(
    alice, bob, root, unrestricted
):
    prod = stage(alice, "prod", volatile=False, acl_upload="alice,bob")
    release_file(prod, "1.0")
    release_file(prod, "2.0")
    with pytest.raises(
        Forbidden,
        match=r"cannot delete on non-volatile index alice/prod "
        r"\(the owner or root may use -f/--force\)",
    ):
        removal.release_delete(index=prod, project="pkg", version="1.0", actor=alice)
    with pytest.raises(
        Forbidden, match="only the owner or root may force removal on non-volatile index alice/prod"
    ):
        removal.release_delete(index=prod, project="pkg", version="1.0", force=True, actor=bob)
    assert Release.objects.count() == 2
    removal.release_delete(index=prod, project="pkg", version="1.0", force=True, actor=alice)
    removal.project_delete(index=prod, project="pkg", force=True, actor=root)
    assert not Release.objects.exists()


def test_removal_as_the_server_keeps_its_own_volatile_rule(alice):
    prod = stage(alice, "prod", volatile=False)
    release_file(prod)
    removal.check_removal(actor=SERVER, index=prod, force=False)  # no actor: nothing to refuse
    with pytest.raises(Forbidden, match="cannot delete project on non-volatile index"):
        removal.project_delete(index=prod, project="pkg")


# -- tokens ----------------------------------------------------------------------------


def test_tokens_are_created_by_their_owner_alone(alice, root):
    with pytest.raises(Forbidden, match="user 'root' may not create tokens for 'alice'"):
        tokens.api_token_create(owner=alice, data={"scopes": ["read"]}, actor=root)
    assert not ApiToken.objects.exists()
    token, _secret = tokens.api_token_create(owner=alice, data={"scopes": ["read"]}, actor=alice)
    assert token.owner == alice


def test_tokens_are_listed_and_revoked_by_their_owner_or_root(alice, bob, root):
    token, _secret = tokens.api_token_create(owner=alice, data={"scopes": ["read"]})
    refusal = "user 'bob' may not manage the tokens of 'alice'"
    with pytest.raises(Forbidden, match=refusal):
        tokens.api_tokens_list(owner=alice, actor=bob)
    with pytest.raises(Forbidden, match=refusal):
        tokens.api_token_revoke(owner=alice, token_id=token.public_id, actor=bob)
    token.refresh_from_db()
    assert token.revoked is None
    assert [t["id"] for t in tokens.api_tokens_list(owner=alice, actor=root)] == [token.public_id]
    tokens.api_token_revoke(owner=alice, token_id=token.public_id, actor=alice)
    token.refresh_from_db()
    assert token.revoked is not None


# -- reading ---------------------------------------------------------------------------


def test_index_readable_refuses_who_may_not_read(alice, bob):
    private = stage(alice, "private", acl_read="alice")
    with pytest.raises(Forbidden, match="user 'bob' may not read alice/private"):
        selectors.index_readable(private, bob)
    assert selectors.index_readable(private, alice) == private
    assert selectors.index_readable(private) == private  # EVERYTHING: the server itself
