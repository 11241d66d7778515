"""gunicorn's logger, with the access line made without the atoms it never
prints.

For every request gunicorn builds the access line's atoms: the fixed ones
(``%(h)s``, ``%(r)s``, ``%(s)s``...) and one more per request header,
response header and WSGI environ entry (``%({name}i)s``, ``%({name}o)s``,
``%({name}e)s``), about fifty, each then copied and escaped again. It does
so in the request's thread after the response is sent and before the
keep-alive connection is handed back, so a client's next request waits for
it. When ``access_log_format`` names no ``{...}`` atom (gunicorn's default,
which devpi-django uses), only the fixed atoms are made, by gunicorn's own
code, from the environ entries they read: the same line, byte for byte. A
format with ``{...}`` atoms gets gunicorn's full set, as before.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

# what gunicorn's fixed atoms read from the environ (Logger.atoms, _get_user)
FIXED_ATOM_ENVIRON = (
    "REMOTE_ADDR",
    "HTTP_AUTHORIZATION",
    "REQUEST_METHOD",
    "RAW_URI",
    "SERVER_PROTOCOL",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_REFERER",
    "HTTP_USER_AGENT",
)


class _Response:
    """The response as the fixed atoms read it: its status and bytes sent."""

    __slots__ = ("status", "sent", "headers")

    def __init__(self, resp):
        self.status = resp.status
        self.sent = getattr(resp, "sent", None)
        self.headers = ()


class AccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        if "{" in self.cfg.access_log_format:
            return super().atoms(resp, req, environ, request_time)
        fixed = {key: environ[key] for key in FIXED_ATOM_ENVIRON if key in environ}
        return super().atoms(_Response(resp), (), fixed, request_time)
