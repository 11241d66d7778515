"""Django authentication backends (``AUTHENTICATION_BACKENDS``).

``CachedModelBackend`` is Django's ``ModelBackend`` with the verified-
credential cache of ``indexes.auth.password_check``: twine sends its
password with every file, and the slow hasher should run once, not per
request. Other backends (LDAP, ...) plug in through
``DEVPI_AUTHENTICATION_BACKENDS``; every password check of devpi-django
goes through ``django.contrib.auth.authenticate()`` and so through them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class CachedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        from .auth import password_check

        if username is None or password is None:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            # as ModelBackend: hash anyway, so that timing does not tell
            # which user names exist
            get_user_model()().set_password(password)
            return None
        if password_check(user, password) and self.user_can_authenticate(user):
            return user
        return None
