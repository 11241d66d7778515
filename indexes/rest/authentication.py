"""DRF authentication as devpi does it.

- ``DevpiAuthentication``: ``X-Devpi-Auth`` (devpi-client's login token or
  an API token) and HTTP Basic (a password, a login token or an API token),
  through ``indexes.auth`` and its credential cache. A bad credential is
  anonymous, never a 401 here (devpi's rule); a wrong password still counts
  as a failed login. Nothing is done for a request without either header.
- ``SessionReadAuthentication``: the web UI's Django session, for GET and
  HEAD only, where no header decided (a browser logged in at ``/+login``).

Views whose answers never depend on the user (simple pages of public
indexes, files) list neither; they ask ``indexes.views.common`` for the read
check, which looks at credentials only where the index is private.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication

from ..auth import request_user


class DevpiAuthentication(BaseAuthentication):
    def authenticate(self, request):
        user = request_user(request._request)
        if user is None:
            return None
        return user, None

    def authenticate_header(self, request):
        return 'Basic realm="devpi"'


class SessionReadAuthentication(BaseAuthentication):
    """The browser's session user, for reads only (writes need a header:
    no CSRF question arises)."""

    def authenticate(self, request):
        django_request = request._request
        if django_request.method not in ("GET", "HEAD"):
            return None
        session_user = getattr(django_request, "user", None)
        if session_user is None or not session_user.is_authenticated:
            return None
        return session_user, None


AUTHENTICATORS = (DevpiAuthentication(), SessionReadAuthentication())
