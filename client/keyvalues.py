"""``key=value`` arguments, as devpi-client takes them for ``user`` and
``index``; ``index`` modifications also take ``key+=value`` and ``key-=value``
(applied by ``indexes.config.apply_operations``)."""

from __future__ import annotations

from indexes.errors import Invalid


def check_keyvalues(items: list[str]) -> list[str]:
    bad = [item for item in items if "=" not in item or item.startswith("=")]
    if bad:
        raise Invalid(f"arguments must be of the form NAME=VALUE: {' '.join(bad)}")
    return list(items)


def keyvalue_dict(items: list[str]) -> dict[str, str]:
    """``["a=1", "b=x=y"]`` -> ``{"a": "1", "b": "x=y"}``; ``+=``/``-=`` refused."""
    result = {}
    for item in check_keyvalues(items):
        key, _, value = item.partition("=")
        if key.endswith(("+", "-")):
            raise Invalid(f"{item!r}: '{key[-1]}=' only works when modifying an index")
        result[key] = value
    return result


def split_name_and_keyvalues(name: str | None, items: list[str]) -> tuple[str | None, list[str]]:
    """devpi-client's rule: a first positional argument with ``=`` in it is a
    key=value item, not a name."""
    items = list(items)
    if name is not None and "=" in name:
        return None, [name, *items]
    return name, items
