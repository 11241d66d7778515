"""Tox results over HTTP, in process: ``POST`` to a release file's ``+f`` URL
(what ``devpi test`` does), the report at its own URL, the ``toxresult``
links of the version JSON, the ACL, refusals that store nothing, and
pushes that keep the results."""

import hashlib
import json
import re

import pytest

from indexes.models import ReleaseFile
from toxresults.models import ToxEnvResult, ToxResult
from toxresults.selectors import toxresult_lines, toxresult_summaries

from .conftest import JSON, basic, post_report, report_bytes

pytestmark = pytest.mark.django_db
NAME = re.compile(
    r"^alice/dev/\+f/[0-9a-f]{3}/[0-9a-f]{13}/"
    r"example-1\.0-py3-none-any\.whl\.toxresult-\d{14}-(\d+)$"
)


def versiondata(client, index: str, project: str = "example", version: str = "1.0") -> dict:
    response = client.get(f"/{index}/{project}/{version}", HTTP_ACCEPT=JSON)
    assert response.status_code == 200, response.content
    return json.loads(response.content)["result"]


def test_post_report_answers_its_path_and_serves_it_back(client, wheel):
    body = report_bytes("tox4_report.json")
    response = post_report(client, wheel, body)
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert data["type"] == "toxresultpath"
    match = NAME.match(data["result"])
    assert match and match.group(1) == "0", data["result"]
    assert data["result"].startswith(f"alice/dev/+f/{wheel.hash_path}.toxresult-")
    # the report itself, byte for byte, at that path
    served = client.get(f"/{data['result']}")
    assert served.status_code == 200
    assert served["Content-Type"] == "application/json"
    assert served.content == body
    assert client.head(f"/{data['result']}")["Content-Length"] == str(len(body))
    # a second report counts up
    again = json.loads(post_report(client, wheel, body).content)["result"]
    assert NAME.match(again).group(1) == "1"
    result = ToxResult.objects.get(filename=data["result"].rsplit("/", 1)[1])
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert {(e.envname, e.status, e.python_version) for e in result.envs.all()} == {
        ("py311", "passed", "3.11.7"),
        ("bad", "failed", "3.11.7"),
    }
    assert result.log[0]["what"] == "upload" and result.log[0]["dst"] == "alice/dev"


def test_links_in_the_version_json_as_devpi(client, wheel, sdist):
    path = json.loads(post_report(client, wheel, report_bytes("tox4_report.json")).content)[
        "result"
    ]
    links = versiondata(client, "alice/dev")["+links"]
    files = {link["href"]: link for link in links if link["rel"] == "releasefile"}
    (tox,) = [link for link in links if link["rel"] == "toxresult"]
    wheel_href = f"http://testserver/alice/dev/+f/{wheel.hash_path}"
    assert wheel_href in files and len(files) == 2
    assert tox["href"] == f"http://testserver/{path}"
    assert tox["for_href"] == wheel_href
    body = report_bytes("tox4_report.json")
    assert tox["hashes"] == {"sha256": hashlib.sha256(body).hexdigest()}
    assert tox["hash_spec"] == f"sha256={hashlib.sha256(body).hexdigest()}"
    assert tox["log"][0]["what"] == "upload"
    # the link's href is what devpi-client fetches for `devpi list -t`
    assert client.get(tox["href"].replace("http://testserver", "")).content == body


def test_acl_toxresult_upload(client, wheel, dev, alice, bob):
    body = report_bytes("tox4_report.json")
    # default :ANONYMOUS: lets anyone post
    assert post_report(client, wheel, body).status_code == 200
    dev.config["acl_toxresult_upload"] = ["alice"]
    dev.save()
    for headers in ({"HTTP_ACCEPT": JSON}, basic("bob"), {"HTTP_ACCEPT": "*/*"}):
        refused = post_report(client, wheel, body, headers)
        assert refused.status_code == 403
        # JSON for every client, as devpi (its own suite reads it without an Accept header)
        assert refused["Content-Type"] == "application/json"
        assert "No permission to upload tox results" in json.loads(refused.content)["message"]
    assert post_report(client, wheel, body, basic("alice")).status_code == 200
    assert ToxResult.objects.count() == 2


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[]", 400, "must be a JSON object"),
        (b'{"foo": "bar", "host": 5}', 400, "host of the tox report must be a string"),
        (
            b'{"foo": "bar", "testenvs": ["py"]}',
            400,
            "testenvs of the tox report must be an object",
        ),
        (b'"a string"', 400, "must be a JSON object"),
        (
            b'{"host": "h", "platform": "p", "testenvs": {"py": {"test": [{"retcode": []}]}}}',
            400,
            "retcode must be an integer or null",
        ),
    ],
)
def test_malformed_reports_store_nothing(client, wheel, body, status, message):
    response = post_report(client, wheel, body)
    assert response.status_code == status
    assert message in json.loads(response.content)["message"]
    assert not ToxResult.objects.exists() and not ToxEnvResult.objects.exists()
    links = versiondata(client, "alice/dev")["+links"]
    assert [link["rel"] for link in links] == ["releasefile"]


def test_any_json_object_is_stored_as_devpi_does(client, wheel):
    """devpi stores any JSON object as a tox result; its link and bytes come back."""
    body = b'{"foo": "bar"}'
    response = post_report(client, wheel, body)
    assert response.status_code == 200, response.content
    path = json.loads(response.content)["result"]
    (tox,) = [
        link for link in versiondata(client, "alice/dev")["+links"] if link["rel"] == "toxresult"
    ]
    assert tox["href"] == f"http://testserver/{path}"
    assert json.loads(client.get(f"/{path}").content) == {"foo": "bar"}
    assert toxresult_lines(ReleaseFile.objects.get(pk=wheel.pk)) == []


def test_report_over_the_json_limit_is_refused(client, wheel, settings):
    body = report_bytes("tox4_report.json")
    settings.DEVPI = {**settings.DEVPI, "MAX_JSON_BYTES": len(body) - 1}
    response = post_report(client, wheel, body)
    assert response.status_code == 413
    assert "larger than the limit" in json.loads(response.content)["message"]
    assert not ToxResult.objects.exists()


def test_post_to_something_that_is_not_a_release_file(client, wheel):
    body = report_bytes("tox4_report.json")
    missing = client.generic(
        "POST",
        "/alice/dev/+f/abc/0123456789abc/nothing-1.0.tar.gz",
        body,
        content_type=JSON,
        HTTP_ACCEPT=JSON,
    )
    assert missing.status_code == 404
    assert "no release file found" in json.loads(missing.content)["message"]
    path = json.loads(post_report(client, wheel, body).content)["result"]
    # a tox result is not a release file either
    onto_report = client.generic("POST", f"/{path}", body, content_type=JSON, HTTP_ACCEPT=JSON)
    assert onto_report.status_code == 404
    assert ToxResult.objects.count() == 1
    assert client.get(f"/{path}x").status_code == 404


def test_lines_as_devpi_list_t(client, wheel, sdist):
    post_report(client, wheel, report_bytes("legacy_report.json"))
    post_report(client, wheel, report_bytes("tox4_report.json"))
    newer = json.loads(report_bytes("tox4_report.json"))
    newer["testenvs"]["bad"]["test"][0]["retcode"] = 0  # the newest run of "bad" passes
    post_report(client, wheel, json.dumps(newer).encode())
    minimal = {
        "host": "ci",
        "platform": "win32",
        "testenvs": {
            "py": {"setup": [], "test": []},
            "lint": {"python": {"version": "3.12.1"}, "setup": [{"retcode": 1}], "test": []},
        },
    }
    post_report(client, wheel, json.dumps(minimal).encode())
    assert toxresult_lines(ReleaseFile.objects.get(pk=wheel.pk)) == [
        "ci         win32   lint       setup failed",
        "ci         win32   lint       3.12.1 no tests were run",
        "ci         win32   py         no setup was performed",
        "ci         win32   py         no tests were run",
        "localhost  linux   bad        3.11.7 tests passed",
        "localhost  linux   py311      3.11.7 tests passed",
        "uwanda     linux2  python     2.7.6 tests failed",
    ]
    assert toxresult_lines(sdist) == []


def test_summaries_for_the_web_ui(client, wheel, sdist):
    post_report(client, wheel, report_bytes("tox4_report.json"))
    rows = toxresult_summaries(file_ids=[wheel.pk, sdist.pk])
    assert list(rows) == [wheel.pk]
    assert [(r.envname, r.status, r.status_class, r.pyversion) for r in rows[wheel.pk]] == [
        ("bad", "tests failed", "failed", "3.11.7"),
        ("py311", "tests passed", "passed", "3.11.7"),
    ]
    assert rows[wheel.pk][0].href_path.startswith(f"+f/{wheel.hash_path}.toxresult-")


def test_results_go_with_their_file(client, wheel):
    path = json.loads(post_report(client, wheel, report_bytes("tox4_report.json")).content)[
        "result"
    ]
    response = client.delete(f"/alice/dev/+f/{wheel.hash_path}", **basic("alice"))
    assert response.status_code == 200, response.content
    assert not ToxResult.objects.exists() and not ToxEnvResult.objects.exists()
    assert client.get(f"/{path}").status_code == 404


def test_push_keeps_tox_results(client, wheel, sdist, prod):
    body = report_bytes("tox4_report.json")
    first = json.loads(post_report(client, wheel, body).content)["result"]
    second = json.loads(post_report(client, wheel, report_bytes("legacy_report.json")).content)[
        "result"
    ]
    response = client.generic(
        "PUSH",
        "/alice/dev",
        json.dumps({"name": "example", "version": "1.0", "targetindex": "alice/prod"}),
        content_type=JSON,
        **basic("alice"),
    )
    assert response.status_code == 200, response.content
    actionlog = json.loads(response.content)["result"]
    pushed = [line[2] for line in actionlog if line[1] == "store_toxresult"]
    assert pushed == [
        first.replace("alice/dev", "alice/prod"),
        second.replace("alice/dev", "alice/prod"),
    ]
    # files by name (the wheel sorts first), each followed by its tox results
    kinds = [line[1] for line in actionlog]
    assert kinds == [
        "register",
        "store_releasefile",
        "store_toxresult",
        "store_toxresult",
        "store_releasefile",
    ]
    assert actionlog[1][2].endswith(wheel.filename) and actionlog[4][2].endswith(sdist.filename)
    assert all("alice/dev" not in line[-1] for line in actionlog[1:])
    assert client.get(f"/{pushed[0]}").content == body
    links = versiondata(client, "alice/prod")["+links"]
    toxlinks = [link for link in links if link["rel"] == "toxresult"]
    assert [link["href"] for link in toxlinks] == [f"http://testserver/{p}" for p in pushed]
    assert {link["for_href"] for link in toxlinks} == {
        f"http://testserver/alice/prod/+f/{wheel.hash_path}"
    }
    log = toxlinks[0]["log"]
    assert [entry["what"] for entry in log] == ["upload", "push"]
    assert log[1]["src"] == "alice/dev" and log[1]["dst"] == "alice/prod"
    assert log[1]["who"] == "alice"
    target = ReleaseFile.objects.get(index=prod, filename=wheel.filename)
    assert toxresult_lines(target) == toxresult_lines(wheel)
    # the source keeps its own
    assert ToxResult.objects.filter(file=wheel).count() == 2


def test_push_to_a_volatile_index_replaces_the_targets_results(client, wheel, alice):
    from indexes.services.indexes import index_create

    index_create(owner=alice, name="stage", data={})
    body = report_bytes("tox4_report.json")
    post_report(client, wheel, body)
    push = json.dumps({"name": "example", "version": "1.0", "targetindex": "alice/stage"})
    assert (
        client.generic("PUSH", "/alice/dev", push, content_type=JSON, **basic("alice")).status_code
        == 200
    )
    assert (
        client.generic("PUSH", "/alice/dev", push, content_type=JSON, **basic("alice")).status_code
        == 200
    )
    assert ToxResult.objects.filter(file__index__name="stage").count() == 1
