"""``manage.py devpi test``: download a release's files over HTTP as the
``--as`` user, run tox on them with the index as ``PIP_INDEX_URL`` and post
each report to its file's URL."""

from __future__ import annotations

import argparse
import shlex
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from indexes.errors import Invalid

from .. import current, procs, testing
from ..console import Console, Verb
from ..server import Credentials, index_url, masked, simple_url
from ..specs import Spec, parse_spec

SUMMARY = "download a release over HTTP, run tox on it and post the report"
DESCRIPTION = (
    "Download the newest matching release's sdist (and universal wheels) from the "
    "index over HTTP, run 'tox --installpkg FILE --result-json ...' with the index as "
    "PIP_INDEX_URL, and post each report to its file's URL."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-e", dest="toxenv", default=None, metavar="ENVNAME", help="tox environment to run"
    )
    parser.add_argument(
        "-c",
        dest="toxini",
        default=None,
        metavar="PATH",
        help="tox configuration file to use instead of the package's",
    )
    parser.add_argument(
        "--fallback-ini",
        dest="fallback_ini",
        default=None,
        metavar="PATH",
        help="tox configuration (path, or name in the package) to use when the package has none",
    )
    parser.add_argument(
        "--tox-args",
        dest="toxargs",
        default=None,
        metavar="ARGS",
        help="extra tox arguments, e.g. --tox-args='-- -x'",
    )
    parser.add_argument(
        "--no-upload",
        dest="upload_results",
        action="store_false",
        help="do not post the tox reports",
    )
    parser.add_argument("--index", default=None, help="index to test from (default: current)")
    parser.add_argument(
        "-s",
        "--select",
        default=None,
        metavar="REGEX",
        help="test the release files whose names match this regular expression "
        "(default: sdists and universal wheels)",
    )
    parser.add_argument(
        "-l", "--list", action="store_true", help="only list the release files that would be tested"
    )
    parser.add_argument("pkgspec", nargs="+", help="e.g. NAME or NAME==VERSION")


def run(out: Console, options: dict[str, Any]) -> None:
    actor = out.actor()
    index = current.index_for(options["index"], acting=actor.username)
    tox = testing.find_tox()
    if tox is None and not options["list"]:
        raise Invalid("no tox binary found: install tox next to this Python or on PATH")
    credentials = Credentials(actor)
    http = testing.Http(credentials.headers())
    simpleindex = credentials.url(simple_url(index.fullname))
    failures: list[str] = []
    for text in options["pkgspec"]:
        spec = parse_spec(text)
        version, links = testing.matching_release(http, index_url(index.fullname), spec)
        sdists, wheels, warnings = testing.select_links(links, options["select"])
        for warning in warnings:
            out.warn(warning)
        if options["list"]:
            out.line("would test:")
            for link in sdists + wheels:
                out.line(f"   {link.href}")
            continue
        with tempfile.TemporaryDirectory(prefix="devpi-test-") as tmp:
            runs = _unpack(out, Path(tmp), http, spec, version, sdists, wheels, options)
            assert tox is not None  # refused above unless --list
            failures += _run_tox(out, Path(tmp), tox, http, simpleindex, runs, options)
    if failures:
        raise CommandError("; ".join(failures))


def _unpack(
    out: Console,
    workdir: Path,
    http: testing.Http,
    spec: Spec,
    version: str,
    sdists: list[testing.Link],
    wheels: list[testing.Link],
    options: dict[str, Any],
) -> list[tuple[testing.Link, Path, Path, Path]]:
    """Download each file; unpack the sdists and find their tox configuration
    (wheels hold none: the first sdist's is used). (link, archive, package
    directory, tox configuration) per file."""
    downloads = workdir / "downloads"
    runs: list[tuple[testing.Link, Path, Path, Path]] = []
    for n, link in enumerate(sdists + wheels):
        archive = http.download(link.href, downloads / link.basename)
        out.line(f"received {link.href}")
        if link in sdists:
            target = workdir / f"unpacked{n}"
            out.line(f"unpacking {archive} to {target}")
            package = testing.package_dir(testing.unpack(archive, target), spec.name, version)
            config = testing.tox_config(
                package, explicit=options["toxini"], fallback=options["fallback_ini"]
            )
        else:
            package, config = runs[0][2], runs[0][3]
        runs.append((link, archive, package, config))
    return runs


def _run_tox(
    out: Console,
    workdir: Path,
    tox: str,
    http: testing.Http,
    simpleindex: str,
    runs: list[tuple[testing.Link, Path, Path, Path]],
    options: dict[str, Any],
) -> list[str]:
    failures = []
    extra = shlex.split(options["toxargs"]) if options["toxargs"] else []
    for n, (link, archive, package, config) in enumerate(runs):
        report = workdir / f"toxreport{n}.json"
        cmd = testing.tox_command(
            tox,
            installpkg=archive,
            report=report,
            config=config,
            envname=options["toxenv"],
            extra=extra,
        )
        out.line(procs.command_line(cmd, package) + f"  [PIP_INDEX_URL={masked(simpleindex)}]")
        code = procs.run_streaming(
            cmd, write=out.line, cwd=package, extra_env={"PIP_INDEX_URL": simpleindex}
        )
        if options["upload_results"] and report.is_file():
            out.line(f"posting tox result data to {link.href}")
            reply = http.post_json(link.href, report.read_bytes())
            if reply.status_code == 200:
                out.line("successfully posted tox result data")
            else:
                failures.append(
                    f"could not post tox result data to {link.href}: "
                    f"{reply.status_code} {testing.message_of(reply)}"
                )
        elif options["upload_results"]:
            failures.append(f"tox wrote no report for {link.basename}")
        if code != 0:
            failures.append(f"tox command failed {code} for {link.basename}")
    return failures


VERB = Verb("test", SUMMARY, DESCRIPTION, add_arguments, run)
