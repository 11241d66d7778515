"""First start: the ``root`` user and the ``root/pypi`` mirror, idempotently."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from ..models import Index
from . import indexes, users


@dataclass
class BootstrapResult:
    root_created: bool
    root_password: str | None  # set only when generated here
    mirror_created: bool
    mirror_url: str | None


def server_initialise(
    *, root_password: str | None, mirror_url_resolver: Callable[[], str]
) -> BootstrapResult:
    User = get_user_model()
    generated = None
    with transaction.atomic():
        root = User.objects.filter(username="root").first()
        root_created = root is None
        if root is None:
            if root_password is None:
                root_password = generated = secrets.token_urlsafe(16)
            root = users.user_create(
                username="root", data={"password": root_password}, superuser=True
            )
        mirror = Index.objects.filter(owner=root, name="pypi").first()
        mirror_created = mirror is None
        if mirror is None:
            mirror = indexes.index_create(
                owner=root,
                name="pypi",
                data={
                    "type": "mirror",
                    "mirror_url": mirror_url_resolver(),
                    "volatile": False,
                    "title": "Mirror of the public Python package index",
                },
            )
    return BootstrapResult(root_created, generated, mirror_created, mirror.config.get("mirror_url"))
