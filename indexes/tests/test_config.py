"""Index configuration: ``build_config`` and ``apply_operations`` (pure)."""

import pytest

from indexes.config import (
    ANONYMOUS,
    AUTHENTICATED,
    apply_operations,
    build_config,
    default_config,
    to_bool,
)
from indexes.errors import Invalid

EXISTING = {
    "root/pypi": [],
    "alice/base": [],
    "alice/dev": ["alice/base"],
    "alice/prod": ["alice/dev"],
    "bob/x": ["alice/dev", "root/pypi"],
}


def lookup(name):
    bases = EXISTING.get(name)
    return None if bases is None else list(bases)


def stage(requested=None, current=None, fullname="alice/new", owner="alice"):
    return build_config(
        index_type="stage",
        owner=owner,
        fullname=fullname,
        current=current,
        requested=requested or {},
        get_bases=lookup,
    )


def mirror(requested, current=None):
    return build_config(
        index_type="mirror",
        owner="root",
        fullname="root/m",
        current=current,
        requested=requested,
        get_bases=lookup,
    )


def invalid(call, *args, **kwargs) -> str:
    with pytest.raises(Invalid) as info:
        call(*args, **kwargs)
    assert info.value.status == 400
    return info.value.message


# -- defaults -----------------------------------------------------------------------


def test_stage_defaults():
    assert stage() == {
        "volatile": True,
        "bases": [],
        "acl_upload": ["alice"],
        "acl_toxresult_upload": [ANONYMOUS],
        "mirror_whitelist": [],
        "mirror_whitelist_inheritance": "intersection",
    }


def test_mirror_defaults():
    assert mirror({"mirror_url": "https://pypi.org/simple/"}) == {
        "volatile": True,
        "mirror_cache_expiry": 1800,
        "mirror_url": "https://pypi.org/simple/",
    }


def test_type_key_and_read_only_projects_are_not_stored():
    config = stage({"type": "stage", "projects": ["a", "b"], "title": "T"})
    assert "type" not in config and "projects" not in config
    assert config["title"] == "T"


def test_defaults_do_not_alias_between_calls():
    first = default_config("stage", "alice")
    first["acl_upload"].append("mallory")
    assert default_config("stage", "alice")["acl_upload"] == ["alice"]


def test_unknown_index_type():
    assert invalid(default_config, "weird", "alice") == "unknown index type 'weird'"


# -- unknown keys -----------------------------------------------------------------------


def test_unknown_key_message_is_devpis():
    assert invalid(stage, {"foo": "bar"}) == (
        "indexconfig got unexpected keyword arguments: foo=bar"
    )


def test_several_unknown_keys_are_listed_sorted():
    assert invalid(stage, {"zzz": 1, "foo": "bar", "volatile": True}) == (
        "indexconfig got unexpected keyword arguments: foo=bar, zzz=1"
    )


def test_mirror_keys_are_unknown_on_a_stage_and_stage_keys_on_a_mirror():
    assert invalid(stage, {"mirror_url": "https://x/"}) == (
        "indexconfig got unexpected keyword arguments: mirror_url=https://x/"
    )
    assert invalid(mirror, {"mirror_url": "https://x/", "bases": "alice/dev"}) == (
        "indexconfig got unexpected keyword arguments: bases=alice/dev"
    )


# -- values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("True", True),
        ("yes", True),
        ("YES", True),
        ("false", False),
        ("False", False),
        ("no", False),
        (" no ", False),
    ],
)
def test_booleans(value, expected):
    assert to_bool(value) is expected
    assert stage({"volatile": value})["volatile"] is expected


@pytest.mark.parametrize("value", ["maybe", "", "1", 1, 0, None, []])
def test_bad_booleans(value):
    assert invalid(stage, {"volatile": value}) == f"Unknown boolean value {value!r}."


def test_acl_special_principals_are_upper_cased_and_deduplicated():
    config = stage(
        {
            "acl_upload": ":anonymous:, alice, :Authenticated:, alice",
            "acl_toxresult_upload": [":authenticated:"],
        }
    )
    assert config["acl_upload"] == [ANONYMOUS, "alice", AUTHENTICATED]
    assert config["acl_toxresult_upload"] == [AUTHENTICATED]


def test_acl_may_be_emptied():
    assert stage({"acl_upload": ""})["acl_upload"] == []
    assert stage({"acl_upload": []})["acl_upload"] == []


def test_lists_must_hold_strings():
    assert invalid(stage, {"acl_upload": ["alice", 3]}) == "Unknown list value ['alice', 3]."
    assert invalid(stage, {"bases": 5}) == "Unknown list value 5."


def test_whitelist_is_normalised_and_keeps_star():
    config = stage({"mirror_whitelist": "Foo_Bar, foo.bar, *, Django"})
    assert config["mirror_whitelist"] == ["foo-bar", "*", "django"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("union", "union"), ("UNION", "union"), ("Intersection", "intersection")],
)
def test_whitelist_inheritance(value, expected):
    assert stage({"mirror_whitelist_inheritance": value})["mirror_whitelist_inheritance"] == (
        expected
    )


def test_bad_whitelist_inheritance():
    assert invalid(stage, {"mirror_whitelist_inheritance": "both"}) == (
        "Unknown value 'both' for mirror_whitelist_inheritance, must be 'intersection' or 'union'."
    )


def test_text_keys_and_custom_data():
    config = stage({"title": "Dev", "description": "d", "custom_data": {"any": ["json", 1]}})
    assert (config["title"], config["description"], config["custom_data"]) == (
        "Dev",
        "d",
        {"any": ["json", 1]},
    )
    assert invalid(stage, {"title": 5}) == "'title' must be a string"


def test_empty_texts_are_dropped():
    config = stage({"title": ""}, current={**stage(), "title": "Old"})
    assert "title" not in config


def test_several_bad_values_are_reported_together():
    message = invalid(stage, {"volatile": "perhaps", "title": 1})
    assert "Unknown boolean value 'perhaps'." in message
    assert "'title' must be a string" in message


def test_requested_must_be_a_dict():
    assert invalid(stage, ["volatile=False"]) == "index config must be a JSON object"


# -- bases -----------------------------------------------------------------------------------


def test_bases_from_a_string_or_a_list():
    assert stage({"bases": "alice/dev, root/pypi"})["bases"] == ["alice/dev", "root/pypi"]
    assert stage({"bases": ["alice/base", "/alice/dev/", "alice/base"]})["bases"] == [
        "alice/base",
        "alice/dev",
    ]


def test_missing_bases():
    assert invalid(stage, {"bases": "alice/dev, nobody/nothing, alice/gone"}) == (
        "base index 'nobody/nothing' does not exist, base index 'alice/gone' does not exist"
    )


@pytest.mark.parametrize("spec", ["alice", "alice/dev/extra", "al ice/dev", "/"])
def test_invalid_base_spec(spec):
    assert invalid(stage, {"bases": [spec]}) == f"invalid base index spec: {spec!r}"


def test_own_base_refused():
    assert invalid(stage, {"bases": "alice/new"}) == "index 'alice/new' cannot be its own base"


def test_base_cycle_refused():
    # alice/base would inherit from alice/prod, which inherits alice/dev -> alice/base
    current = stage(fullname="alice/base")
    message = invalid(stage, {"bases": "alice/prod"}, current=current, fullname="alice/base")
    assert message == "bases of 'alice/base' would form a cycle"


def test_longer_chains_without_cycle_are_fine():
    assert stage({"bases": "bob/x, alice/prod"})["bases"] == ["bob/x", "alice/prod"]


# -- mirrors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.com/simple/", "example.com", "", "file:///etc"])
def test_mirror_url_must_be_http(url):
    assert invalid(mirror, {"mirror_url": url}) == "'mirror_url' option must be a URL."


def test_mirror_without_mirror_url_is_accepted_as_devpi_does():
    """devpi-client's own suite creates ``type=mirror`` alone (a mirror without an
    upstream yet: it has no projects until a mirror_url is set)."""
    config = mirror({})
    assert "mirror_url" not in config


def test_mirror_options():
    config = mirror(
        {
            "mirror_url": " http://127.0.0.1:8000/simple/ ",
            "mirror_cache_expiry": "60",
            "mirror_no_project_list": "yes",
            "mirror_use_external_urls": False,
            "mirror_ignore_serial_header": "true",
            "mirror_web_url_fmt": "https://x/{name}",
            "volatile": "no",
        }
    )
    assert config == {
        "mirror_url": "http://127.0.0.1:8000/simple/",
        "mirror_cache_expiry": 60,
        "mirror_no_project_list": True,
        "mirror_use_external_urls": False,
        "mirror_ignore_serial_header": True,
        "mirror_web_url_fmt": "https://x/{name}",
        "volatile": False,
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "'mirror_cache_expiry' option must be an integer"),
        (True, "'mirror_cache_expiry' option must be an integer"),
        (None, "'mirror_cache_expiry' option must be an integer"),
        (-1, "'mirror_cache_expiry' option must not be negative"),
    ],
)
def test_mirror_cache_expiry(value, message):
    assert invalid(mirror, {"mirror_url": "https://x/", "mirror_cache_expiry": value}) == message


# -- type ------------------------------------------------------------------------------------


def test_type_change_refused():
    assert invalid(stage, {"type": "mirror"}, current=stage()) == (
        "the 'type' of an index can't be changed"
    )
    current = mirror({"mirror_url": "https://x/"})
    assert invalid(mirror, {"type": "stage"}, current=current) == (
        "the 'type' of an index can't be changed"
    )


def test_modification_keeps_other_keys():
    current = stage({"title": "T", "acl_upload": "alice, bob"})
    config = stage({"volatile": "no"}, current=current)
    assert config == {**current, "volatile": False}


# -- key/value operations ----------------------------------------------------------------------


def test_operations_set_add_and_remove():
    current = stage({"acl_upload": "alice", "bases": "alice/base"})
    changed = apply_operations(
        current,
        [
            "volatile=False",
            "acl_upload+=bob",
            "acl_upload+=carol,alice",
            "bases-=alice/base",
            "mirror_whitelist+=pkg",
            "title=A=B",
        ],
    )
    assert changed["volatile"] == "False"  # validated by build_config afterwards
    assert changed["acl_upload"] == ["alice", "bob", "carol"]
    assert changed["bases"] == []
    assert changed["mirror_whitelist"] == ["pkg"]
    assert changed["title"] == "A=B"
    assert current["acl_upload"] == ["alice"]  # the input is not modified
    assert stage(changed, current=current)["volatile"] is False


def test_operation_k_minus_equals_nothing_drops_the_key():
    current = stage({"title": "T"})
    assert "title" not in apply_operations(current, ["title-="])


def test_operation_removing_a_missing_value():
    assert invalid(apply_operations, stage(), ["acl_upload-=bob"]) == (
        "The 'acl_upload' setting doesn't have value 'bob'"
    )


def test_operation_adding_to_a_non_list():
    assert invalid(apply_operations, stage(), ["volatile+=x"]) == (
        "The 'volatile' setting is not a list"
    )


@pytest.mark.parametrize("item", ["volatile", 5, None, {"volatile": False}])
def test_malformed_operations(item):
    assert "invalid operation" in invalid(apply_operations, stage(), [item])


def test_operations_then_build_report_unknown_keys():
    changed = apply_operations(stage(), ["foo=bar"])
    assert invalid(stage, changed, current=stage()) == (
        "indexconfig got unexpected keyword arguments: foo=bar"
    )
