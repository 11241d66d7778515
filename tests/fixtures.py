"""Users and indexes of the in-process tests, for every test tree: a pytest
plugin (``pytest_plugins`` in the root conftest). ``indexes/tests`` and
``toxresults/tests`` use these fixtures instead of defining their own; a
test module that needs a different user or index names its fixture
differently.

Django is imported inside the functions: plugins load before it is set up.
"""

from __future__ import annotations

import io

import pytest


def create_user(username: str, password: str = "pw", *, superuser: bool = False):
    """A user with a profile, as the API's user creation leaves one."""
    from django.contrib.auth import get_user_model

    from indexes.models import UserProfile

    user = get_user_model().objects.create(
        username=username, is_superuser=superuser, is_staff=superuser
    )
    user.set_password(password)
    user.save()
    UserProfile.objects.create(user=user)
    return user


def stage(owner, name: str, **config):
    """A stage index of ``owner`` made through the index service."""
    from indexes.services.indexes import index_create

    return index_create(owner=owner, name=name, data=config)


def devpi_stdout(*args: str) -> str:
    """What ``manage.py devpi <args>`` writes to stdout (its stderr dropped)."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("devpi", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def root(db):
    return create_user("root", "rootpw", superuser=True)


@pytest.fixture
def alice(db):
    return create_user("alice")


@pytest.fixture
def bob(db):
    return create_user("bob")


@pytest.fixture
def dev(alice, blob_dir):
    """``alice/dev``: volatile, no bases."""
    return stage(alice, "dev")


@pytest.fixture
def prod(alice, blob_dir):
    """``alice/prod``: not volatile."""
    return stage(alice, "prod", volatile=False)


@pytest.fixture
def open_server(settings):
    """As devpi without --restrict-modify, and no configured outside URL."""
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": None, "OUTSIDE_URL": None}


@pytest.fixture
def unrestricted(settings):
    """As devpi without --restrict-modify."""
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": None}


@pytest.fixture
def fresh_cache():
    """Page caches are per process and keyed on row ids, which a rolled back
    test may hand out again: the cache is emptied before and after."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
