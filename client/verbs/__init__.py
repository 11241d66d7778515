"""The verbs of ``manage.py devpi``, one module each (its arguments and its
handler together), in the order ``--help`` lists them. A module registers
itself with a ``VERB`` (``client.console.Verb``); ``REGISTRY`` is what the
management command builds its subcommands from."""

from __future__ import annotations

from ..console import Verb
from . import (
    export,
    getjson,
    import_,
    index,
    install,
    prefetch,
    project_status,
    push,
    quickstart,
    refresh,
    remove,
    test,
    token,
    upload,
    use,
    user,
)
from . import list as list_

REGISTRY: tuple[Verb, ...] = tuple(
    module.VERB
    for module in (
        quickstart,
        use,
        user,
        index,
        getjson,
        upload,
        list_,
        project_status,
        remove,
        push,
        test,
        install,
        import_,
        token,
        export,
        refresh,
        prefetch,
    )
)
