"""JSON with a bounded nesting depth.

Python's parser recurses once per level of arrays and objects: a body of a
few thousand ``[`` ends in ``RecursionError`` (a 500 if nobody catches it),
and a deep document that does parse makes every later recursive walk over
it (serialisers, renderers) fail or crawl. ``loads`` parses, turns a
``RecursionError`` into ``TooDeep``, and measures the depth of what it got
level by level, without recursion, refusing anything deeper than
``MAX_DEPTH``. Both cost time in proportion to the body, which
``DEVPI_MAX_JSON_BYTES`` bounds.
"""

from __future__ import annotations

import json
from itertools import compress
from typing import Any

MAX_DEPTH = 400
_CONTAINERS = frozenset((list, dict))
_is_container_type = _CONTAINERS.__contains__


class TooDeep(ValueError):
    pass


def nesting_depth(data: Any, *, stop_after: int | None = None) -> int:
    """Levels of arrays and objects in parsed JSON, counted breadth first;
    counting stops once ``stop_after`` is passed."""
    level = [data] if type(data) in _CONTAINERS else []
    depth = 0
    while level:
        depth += 1
        if stop_after is not None and depth > stop_after:
            break
        below: list[Any] = []
        for item in level:
            values = item.values() if type(item) is dict else item
            # the containers among the values, selected at C speed
            below.extend(compress(values, map(_is_container_type, map(type, values))))
        level = below
    return depth


def loads(body: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises ``TooDeep`` (a ``ValueError``) beyond
    ``max_depth`` levels of arrays and objects."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise TooDeep(f"JSON nested too deep: at most {max_depth} levels are accepted") from None
    if nesting_depth(data, stop_after=max_depth) > max_depth:
        raise TooDeep(f"JSON nested too deep: at most {max_depth} levels are accepted")
    return data
