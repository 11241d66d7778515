"""Release metadata from twine's upload form."""

from indexes.distribution.metadata import LIST_KEYS, METADATA_KEYS, metadata_from_form


def form(fields: dict[str, list[str]]):
    return (
        lambda key: fields[key][-1] if fields.get(key) else None,
        lambda key: list(fields.get(key, [])),
        set(fields),
    )


def test_new_release_gets_every_key_with_defaults():
    get, getlist, keys = form({"name": ["pkg"], "version": ["1.0"], "summary": ["S"]})
    meta = metadata_from_form(get, getlist, keys, only_present=False)
    assert set(meta) == set(METADATA_KEYS)
    assert meta["name"] == "pkg" and meta["version"] == "1.0" and meta["summary"] == "S"
    assert meta["author"] == ""
    for key in LIST_KEYS:
        assert meta[key] == []


def test_repeated_fields_are_lists_and_provides_extra_is_devpis_provides_extras():
    get, getlist, keys = form(
        {
            "name": ["pkg"],
            "version": ["1.0"],
            "classifiers": ["Programming Language :: Python", "License :: OSI Approved"],
            "requires_dist": ["attrs>=1", "idna; extra == 'x'"],
            "provides_extra": ["x", "y"],
        }
    )
    meta = metadata_from_form(get, getlist, keys, only_present=False)
    assert meta["classifiers"] == ["Programming Language :: Python", "License :: OSI Approved"]
    assert meta["requires_dist"] == ["attrs>=1", "idna; extra == 'x'"]
    assert meta["provides_extras"] == ["x", "y"]
    assert "provides_extra" not in meta


def test_both_spellings_of_provides_extras_are_merged():
    get, getlist, keys = form({"provides_extras": ["a"], "provides_extra": ["b"]})
    meta = metadata_from_form(get, getlist, keys, only_present=True)
    assert meta == {"provides_extras": ["a", "b"]}


def test_unknown_and_empty_values_are_dropped():
    get, getlist, keys = form(
        {"license": ["UNKNOWN"], "platform": ["UNKNOWN", "", "linux"], "home_page": [""]}
    )
    meta = metadata_from_form(get, getlist, keys, only_present=True)
    assert meta == {"license": "", "platform": ["linux"], "home_page": ""}


def test_update_only_touches_sent_keys():
    get, getlist, keys = form({"summary": ["new"], "bogus": ["x"]})
    assert metadata_from_form(get, getlist, keys, only_present=True) == {"summary": "new"}


def test_last_value_of_a_single_field_wins():
    get, getlist, keys = form({"summary": ["old", "new"]})
    assert metadata_from_form(get, getlist, keys, only_present=True)["summary"] == "new"
