"""Tox JSON reports (``tox --result-json``) as ``devpi test`` posts them:
checked, and summarised per test environment. Pure functions; no Django.

Two shapes are read, both ``{"reportversion": "1", "toxversion", "platform",
"host", "testenvs": {name: env}}``:

- tox 4: each env has ``python.version`` (``sys.version``), ``setup`` and
  ``test`` lists of ``{"command": [...], "output", "err", "retcode": int}``
  and a ``result``;
- devpi's historical format (tox 1-3): the same lists with ``retcode`` as a
  string (``"0"``), and ``setup``/``test``/``python`` each optional.

Any other JSON object is accepted too (devpi stores whatever object it is
given); it then has no environments to summarise. Keys tox writes are
checked whenever they are present.

The summary follows devpi-client (``devpi list -t``): a command failed when
its ``retcode`` is neither null nor 0; no setup commands is "no setup was
performed", no test commands is "no tests were run".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from indexes.distribution import jsondepth

MAX_NAME = 255
NUMERIC = re.compile(r"^\s*[-+]?\d+\s*$")

# step outcomes
NONE, OK, FAILED = "none", "ok", "failed"

# the summary status of an environment
PASSED = "passed"
TESTS_FAILED = "failed"
SETUP_FAILED = "setup-failed"
NO_TESTS = "no-tests"
STATUS_TEXT = {
    PASSED: "tests passed",
    TESTS_FAILED: "tests failed",
    SETUP_FAILED: "setup failed",
    NO_TESTS: "no tests were run",
}


class InvalidReport(ValueError):
    pass


@dataclass(frozen=True)
class EnvSummary:
    name: str
    python_version: str  # "3.11.7", or "" when the report does not say
    setup: str  # NONE, OK or FAILED
    tests: str  # NONE, OK or FAILED

    @property
    def status(self) -> str:
        if self.setup == FAILED:
            return SETUP_FAILED
        if self.tests == NONE:
            return NO_TESTS
        return TESTS_FAILED if self.tests == FAILED else PASSED


@dataclass(frozen=True)
class ReportSummary:
    host: str
    platform: str
    toxversion: str
    reportversion: str
    envs: list[EnvSummary]


def _string(value: Any, where: str, *, required: bool = True, limit: int | None = MAX_NAME) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidReport(f"{where} must be a string")
    if required and not value.strip():
        raise InvalidReport(f"{where} must not be empty")
    if limit is not None and len(value) > limit:
        raise InvalidReport(f"{where} is longer than {limit} characters")
    return value


def _retcode_failed(value: Any, where: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidReport(f"{where} must be an integer or null")
    if isinstance(value, str):
        if not NUMERIC.match(value):
            raise InvalidReport(f"{where} must be an integer or null")
        value = int(value)
    return value != 0


def _step(env: dict, key: str, where: str) -> str:
    commands = env.get(key)
    if commands is None:
        return NONE
    if not isinstance(commands, list):
        raise InvalidReport(f"{where}.{key} must be a list")
    failed = False
    for n, command in enumerate(commands):
        at = f"{where}.{key}[{n}]"
        if not isinstance(command, dict):
            raise InvalidReport(f"{at} must be an object")
        if "retcode" not in command:
            raise InvalidReport(f"{at} has no retcode")
        failed = _retcode_failed(command["retcode"], f"{at}.retcode") or failed
        argv = command.get("command")
        if (
            argv is not None
            and not isinstance(argv, str)
            and not (isinstance(argv, list) and all(isinstance(a, str) for a in argv))
        ):
            raise InvalidReport(f"{at}.command must be a list of strings")
        for text_key in ("output", "err"):
            if command.get(text_key) is not None and not isinstance(command[text_key], str):
                raise InvalidReport(f"{at}.{text_key} must be a string")
    if not commands:
        return NONE
    return FAILED if failed else OK


def _python_version(env: dict, where: str) -> str:
    python = env.get("python")
    if python is None:
        return ""
    if not isinstance(python, dict):
        raise InvalidReport(f"{where}.python must be an object")
    version = python.get("version")
    if version is not None:
        version = _string(version, f"{where}.python.version", required=False, limit=None)
        first = version.split(None, 1)
        if first:
            return first[0][:64]
    info = python.get("version_info")
    if isinstance(info, list) and len(info) >= 3 and all(isinstance(p, int) for p in info[:3]):
        return ".".join(str(p) for p in info[:3])
    return ""


def _env(name: str, env: Any, where: str) -> EnvSummary:
    _string(name, f"testenv name {name!r}")
    if not isinstance(env, dict):
        raise InvalidReport(f"{where} must be an object")
    for key in ("installed_packages",):
        value = env.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise InvalidReport(f"{where}.{key} must be a list of strings")
    if env.get("result") is not None and not isinstance(env["result"], dict):
        raise InvalidReport(f"{where}.result must be an object")
    return EnvSummary(
        name=name,
        python_version=_python_version(env, where),
        setup=_step(env, "setup", where),
        tests=_step(env, "test", where),
    )


def check_report(data: Any) -> ReportSummary:
    """Summarise a decoded report, or ``InvalidReport`` saying what is wrong.

    As devpi, any JSON object is a tox result (devpi stores what it is given);
    the keys tox writes are checked when present, so a report that names a
    host, platform or test environments has them in the right shape."""
    if not isinstance(data, dict):
        raise InvalidReport("tox report must be a JSON object")
    testenvs = data.get("testenvs")
    if testenvs is None:
        testenvs = {}
    if not isinstance(testenvs, dict):
        raise InvalidReport("testenvs of the tox report must be an object")
    host = _string(data.get("host"), "host of the tox report", required=False)
    platform = _string(data.get("platform"), "platform of the tox report", required=False)
    toxversion = _string(data.get("toxversion"), "toxversion of the tox report", required=False)
    reportversion = data.get("reportversion")
    if isinstance(reportversion, int) and not isinstance(reportversion, bool):
        reportversion = str(reportversion)
    reportversion = _string(reportversion, "reportversion of the tox report", required=False)
    envs = [_env(name, env, f"testenvs[{name!r}]") for name, env in sorted(testenvs.items())]
    return ReportSummary(
        host=host, platform=platform, toxversion=toxversion, reportversion=reportversion, envs=envs
    )


def parse_report(body: bytes) -> tuple[str, ReportSummary]:
    """(the report as text, its summary) from a request body: UTF-8 JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidReport("tox report is not UTF-8 encoded JSON") from None
    try:
        data = jsondepth.loads(text)
    except ValueError as exc:  # also TooDeep
        raise InvalidReport(f"tox report is not valid JSON: {exc}") from None
    return text, check_report(data)
