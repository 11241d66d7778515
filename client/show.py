"""devpi-client's text shapes for configurations: a URL line, then
``  key=value`` lines (lists joined with commas)."""

from __future__ import annotations

INDEX_KEY_ORDER = ("type", "bases", "volatile", "acl_upload")


def _value(value) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def index_config_lines(url: str, config: dict) -> list[str]:
    keys = [k for k in INDEX_KEY_ORDER if k in config]
    keys += sorted(k for k in config if k not in INDEX_KEY_ORDER and k != "projects")
    return [f"{url}:"] + [f"  {key}={_value(config[key])}" for key in keys]


def user_config_lines(url: str, config: dict) -> list[str]:
    keys = sorted(k for k in config if k not in ("indexes", "username"))
    return [f"{url}:"] + [f"  {key}={_value(config[key])}" for key in keys]


def index_list_line(fullname: str, config: dict) -> str:
    bases = ",".join(config.get("bases", []))
    return f"{fullname:<15} bases={bases:<15} volatile={config.get('volatile', True)}"
