"""Parsing and checking tox reports: tox 4's ``--result-json`` and devpi's
historical format; every malformed shape is refused with a reason."""

import json

import pytest

from toxresults import reports
from toxresults.reports import InvalidReport, check_report, parse_report

from .conftest import report_bytes, report_json


def test_tox4_report_as_tox_writes_it():
    text, summary = parse_report(report_bytes("tox4_report.json"))
    assert json.loads(text)["toxversion"] == "4.67.15"
    assert (summary.host, summary.platform, summary.toxversion, summary.reportversion) == (
        "localhost",
        "linux",
        "4.67.15",
        "1",
    )
    by_name = {env.name: env for env in summary.envs}
    assert [env.name for env in summary.envs] == ["bad", "py311"]
    assert by_name["py311"].python_version == "3.11.7"
    assert (by_name["py311"].setup, by_name["py311"].tests) == (reports.OK, reports.OK)
    assert by_name["py311"].status == reports.PASSED
    assert by_name["bad"].tests == reports.FAILED
    assert by_name["bad"].status == reports.TESTS_FAILED


def test_devpi_historical_report_with_string_retcodes():
    _text, summary = parse_report(report_bytes("legacy_report.json"))
    (env,) = summary.envs
    assert (summary.host, summary.platform) == ("uwanda", "linux2")
    assert env.name == "python" and env.python_version == "2.7.6"
    assert (env.setup, env.tests, env.status) == (reports.OK, reports.FAILED, reports.TESTS_FAILED)


def test_devpi_minimal_report_without_setup_or_python():
    """devpi-server's own test data: no setup list, no python key."""
    summary = check_report(
        {
            "reportversion": "1",
            "toxversion": "1.6",
            "platform": "linux2",
            "host": "foo",
            "testenvs": {
                "py27": {
                    "test": [{"command": ["python"], "retcode": "0", "output": "everything fine"}]
                }
            },
        }
    )
    (env,) = summary.envs
    assert (env.python_version, env.setup, env.tests) == ("", reports.NONE, reports.OK)
    assert env.status == reports.PASSED


@pytest.mark.parametrize(
    "setup, test, status",
    [
        ([{"retcode": 0}], [{"retcode": 0}], reports.PASSED),
        ([{"retcode": 0}], [{"retcode": 0}, {"retcode": 2}], reports.TESTS_FAILED),
        ([{"retcode": 1}], [], reports.SETUP_FAILED),
        ([{"retcode": 0}], [], reports.NO_TESTS),
        ([{"retcode": 0}], None, reports.NO_TESTS),
        ([{"retcode": None}], [{"retcode": None}], reports.PASSED),
        ([{"retcode": "0"}], [{"retcode": " 3 "}], reports.TESTS_FAILED),
    ],
)
def test_status_of_an_environment(setup, test, status):
    env = {"python": {"version": "3.12.1 (main)"}, "setup": setup}
    if test is not None:
        env["test"] = test
    summary = check_report({"host": "h", "platform": "linux", "testenvs": {"py": env}})
    assert summary.envs[0].status == status
    assert reports.STATUS_TEXT[status] in (
        "tests passed",
        "tests failed",
        "setup failed",
        "no tests were run",
    )


def test_python_version_from_version_info_when_version_is_missing():
    summary = check_report(
        {
            "host": "h",
            "platform": "p",
            "testenvs": {"py": {"python": {"version_info": [3, 13, 0, "final", 0]}}},
        }
    )
    assert summary.envs[0].python_version == "3.13.0"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b'{"host": "h", "platform": "p", "testenvs": []}', "testenvs of the tox report must be"),
        (b'{"host": 1, "platform": "p", "testenvs": {"py": {}}}', "host of the tox report"),
        (b'{"host": "h", "platform": ["p"], "testenvs": {"py": {}}}', "platform of the tox report"),
        (b'{"foo": "bar", "toxversion": 4}', "toxversion of the tox report must be a string"),
        (b'{"foo": "bar", "testenvs": "py"}', "testenvs of the tox report must be"),
        (b'{"host": "h", "platform": "p", "testenvs": {"py": []}}', "must be an object"),
        (b'{"host": "h", "platform": "p", "testenvs": {"": {}}}', "must not be empty"),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"test": {}}}}',
            ".test must be a list",
        ),
        (b'{"host": "h", "platform": "p", "testenvs": {"py": {"test": [1]}}}', "must be an object"),
        (b'{"host": "h", "platform": "p", "testenvs": {"py": {"test": [{}]}}}', "has no retcode"),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"test": [{"retcode": "x"}]}}}',
            "retcode must be an integer or null",
        ),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"test": [{"retcode": true}]}}}',
            "retcode must be an integer or null",
        ),
        (
            (
                b'{"host": "h", "platform": "p", "testenvs": {"py": {"setup": [{"retcode": 0, '
                b'"command": [1]}]}}}'
            ),
            "command must be a list of strings",
        ),
        (
            (
                b'{"host": "h", "platform": "p", "testenvs": {"py": {"test": [{"retcode": 0, '
                b'"output": 5}]}}}'
            ),
            "output must be a string",
        ),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"python": "3.11"}}}',
            "python must be an object",
        ),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"python": {"version": 3}}}}',
            "python.version must be a string",
        ),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"installed_packages": [1]}}}',
            "installed_packages must be a list of strings",
        ),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"result": 0}}}',
            "result must be an object",
        ),
    ],
)
def test_malformed_reports_are_refused(body, message):
    with pytest.raises(InvalidReport) as info:
        parse_report(body)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        {"foo": "bar"},
        {},
        {"host": "h", "platform": "p"},
        {"host": "h", "platform": "p", "testenvs": {}},
        {"testenvs": {"py": {"test": [{"retcode": 0}]}}},
    ],
)
def test_any_json_object_is_a_report(data):
    """devpi stores any JSON object posted to a file as its tox result."""
    text, summary = parse_report(json.dumps(data).encode())
    assert json.loads(text) == data
    assert summary.host == data.get("host", "") and summary.platform == data.get("platform", "")
    assert [env.name for env in summary.envs] == sorted(data.get("testenvs", {}))


def test_long_names_are_refused():
    data = report_json("tox4_report.json")
    data["host"] = "h" * 256
    with pytest.raises(InvalidReport, match="longer than 255"):
        check_report(data)
