"""Pushing releases (devpi's ``PUSH``/``POST`` on ``/<user>/<index>``) in
process: to another index (rows copied, blobs shared, one transaction) and to
an external index (the legacy upload protocol, against a small recording
HTTP server on 127.0.0.1)."""

from __future__ import annotations

import base64
import email
import hashlib
import io
import json
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from indexes import registry
from indexes.errors import Conflict, Unauthorized
from indexes.models import Project, Release, ReleaseFile
from indexes.services.push import release_push, release_push_external
from indexes.services.uploads import UploadForm, release_file_upload, release_register
from tests.factories import make_sdist, make_wheel

from .conftest import JSON, api, blob_files, serving, stage

pytestmark = pytest.mark.django_db


# -- set-up -----------------------------------------------------------------------


def put(index, path, name="example", version="1.0", **metadata):
    form = {"name": [name], "version": [version]}
    form.update({key: [value] for key, value in metadata.items()})
    with open(path, "rb") as fh:
        return release_file_upload(
            index=index, user=index.owner, filename=path.name, content=fh, form=UploadForm(form)
        ).file


@pytest.fixture
def files(dev, tmp_path):
    """example 1.0 on alice/dev: a wheel and an sdist."""
    wheel = put(dev, make_wheel(tmp_path / "w", "example", "1.0"), summary="an example")
    sdist = put(dev, make_sdist(tmp_path / "s", "example", "1.0"))
    return wheel, sdist


def push(
    client, body, *, user: str | None = "alice", method: str = "PUSH", path: str = "/alice/dev"
):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.generic(method, path, data, content_type=JSON, **api(user))


def to_prod(**extra) -> dict:
    return {"name": "example", "version": "1.0", "targetindex": "alice/prod", **extra}


def refused(response, status: int, message: str) -> None:
    assert response.status_code == status, (response.status_code, response.content)
    assert message in json.loads(response.content)["message"], response.content


def target_state(index) -> list:
    """What a refused push must leave unchanged."""
    return sorted(
        (f.filename, f.sha256, json.dumps(f.log)) for f in ReleaseFile.objects.filter(index=index)
    ) + sorted(
        (r.project.name, r.version, json.dumps(r.metadata, sort_keys=True))
        for r in Release.objects.filter(project__index=index).select_related("project")
    )


# -- to another index ------------------------------------------------------------


def test_push_copies_the_release_under_the_same_hash_paths(client, files, prod, blob_dir):
    wheel, sdist = files
    blobs_before = blob_files(blob_dir)
    response = push(client, to_prod())
    assert response.status_code == 200, response.content
    data = json.loads(response.content)
    assert data["type"] == "actionlog"
    assert data["result"] == [
        [200, "register", "example", "1.0", "->", "alice/prod"],
        [200, "store_releasefile", f"alice/prod/+f/{wheel.hash_path}"],
        [200, "store_releasefile", f"alice/prod/+f/{sdist.hash_path}"],
    ]
    assert blob_files(blob_dir) == blobs_before  # content-addressed: no byte copied
    for source in (wheel, sdist):
        copy = ReleaseFile.objects.get(index=prod, filename=source.filename)
        assert (copy.sha256, copy.size, copy.core_metadata_sha256) == (
            source.sha256,
            source.size,
            source.core_metadata_sha256,
        )
        served = client.get(f"/alice/prod/+f/{copy.hash_path}")
        assert served.status_code == 200
        assert hashlib.sha256(b"".join(served.streaming_content)).hexdigest() == source.sha256
        assert [entry["what"] for entry in copy.log] == ["upload", "push"]
        assert copy.log[1]["src"] == "alice/dev" and copy.log[1]["dst"] == "alice/prod"
        assert copy.log[1]["who"] == "alice"
    version = json.loads(client.get("/alice/prod/example/1.0", HTTP_ACCEPT=JSON).content)
    assert version["result"]["summary"] == "an example"
    simple = client.get("/alice/prod/+simple/example/").content.decode()
    assert wheel.filename in simple and sdist.filename in simple


def test_post_with_a_json_body_is_a_push_too(client, files, prod):
    response = push(client, to_prod(), method="POST", path="/alice/dev/")
    assert response.status_code == 200, response.content
    assert ReleaseFile.objects.filter(index=prod).count() == 2


def test_service_for_commands(files, prod, alice):
    """The function ``manage.py devpi push`` calls, with index names."""
    actionlog = release_push(
        source="alice/dev", project="example", version="1.0", target="alice/prod", user=alice
    )
    assert [line[1] for line in actionlog] == ["register", "store_releasefile", "store_releasefile"]
    with pytest.raises(Conflict):
        release_push(
            source="alice/dev", project="example", version="1.0", target="alice/prod", user=alice
        )


def test_non_volatile_target_refuses_even_identical_files(client, files, prod):
    assert push(client, to_prod()).status_code == 200
    before = target_state(prod)
    refused(push(client, to_prod()), 409, "already exists in non-volatile index")
    assert target_state(prod) == before


def test_a_conflict_part_way_leaves_the_target_as_it_was(client, files, prod, tmp_path):
    _wheel, sdist = files
    # prod has the sdist (other bytes) and another version's metadata already
    put(prod, make_sdist(tmp_path / "other", "example", "1.0", requires_python=">=3.9"))
    before = target_state(prod)
    refused(push(client, to_prod()), 409, f"{sdist.filename} already exists in non-volatile index")
    assert target_state(prod) == before


def test_push_needs_upload_rights_on_the_target(client, files, prod, bob):
    anonymous = push(client, to_prod(), user=None)
    refused(anonymous, 401, "cannot upload to 'alice/prod'")
    assert anonymous["WWW-Authenticate"].startswith("Basic")
    refused(push(client, to_prod(), user="bob"), 401, "user 'bob' cannot upload to 'alice/prod'")
    assert not ReleaseFile.objects.filter(index=prod).exists()
    assert not Project.objects.filter(index=prod).exists()
    prod.config["acl_upload"] = ["alice", "bob"]
    prod.save()
    assert push(client, to_prod(), user="bob").status_code == 200


@pytest.mark.parametrize(
    "body, message",
    [
        ({**to_prod(), ":action": "file_upload"}, "unknown additional options: :action"),
        ({**to_prod(), "color": "red", "bogus": 1}, "unknown additional options: bogus, color"),
        ({"version": "1.0", "targetindex": "alice/prod"}, "push request has no 'name'"),
        ({"name": "example", "targetindex": "alice/prod"}, "push request has no 'version'"),
        ({**to_prod(), "name": ["example"]}, "'name' of a push request must be a non-empty string"),
        ({**to_prod(), "version": ""}, "'version' of a push request must be a non-empty string"),
        (to_prod(targetindex="prod"), "targetindex not in format user/index"),
        (to_prod(targetindex="alice/prod/x"), "targetindex not in format user/index"),
        (to_prod(no_docs=True, only_docs=True), "can't use 'no_docs' and 'only_docs' together"),
        (to_prod(no_docs="yes"), "'no_docs' of a push request must be true or false"),
        ({"name": "example", "version": "1.0"}, "neither 'targetindex' nor 'posturl'"),
        ({**to_prod(), "posturl": "http://127.0.0.1:9/"}, "unknown additional options: posturl"),
        (
            {
                "name": "example",
                "version": "1.0",
                "posturl": "http://127.0.0.1:9/",
                "username": "u",
                "password": "p",
                ":action": "push",
            },
            "unknown additional options: :action",
        ),
        (
            {
                "name": "example",
                "version": "1.0",
                "posturl": "http://127.0.0.1:9/",
                "username": "u",
            },
            "push request has no 'password'",
        ),
        (
            {
                "name": "example",
                "version": "1.0",
                "posturl": "ftp://example.invalid/",
                "username": "u",
                "password": "p",
            },
            "is not an http or https URL",
        ),
        ("{not json", "could not decode JSON body"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_bad_push_requests_are_refused(client, files, prod, body, message):
    refused(push(client, body), 400, message)
    assert not ReleaseFile.objects.filter(index=prod).exists()
    assert not Project.objects.filter(index=prod).exists()


def test_not_found(client, files, prod, dev):
    refused(push(client, to_prod(version="9.9")), 404, "there are no files for example 9.9")
    refused(
        push(client, to_prod(targetindex="alice/nothere")), 404, "alice/nothere could not be found"
    )
    # a release registered without files has nothing to push
    release_register(
        index=dev, user=dev.owner, form=UploadForm({"name": ["example"], "version": ["2.0"]})
    )
    refused(push(client, to_prod(version="2.0")), 404, "no release/files found for example 2.0")
    assert not Project.objects.filter(index=prod).exists()


def test_push_to_its_own_index_is_refused(client, files, dev):
    refused(push(client, to_prod(targetindex="alice/dev")), 400, "to its own index alice/dev")


def test_volatile_target_takes_the_release_again(client, files, alice, tmp_path):
    stage(alice, "staging")
    body = to_prod(targetindex="alice/staging")
    assert push(client, body).status_code == 200
    assert push(client, body).status_code == 200
    assert ReleaseFile.objects.filter(index__name="staging").count() == 2


def test_push_hooks_run_per_file_inside_the_transaction(client, files, prod):
    seen = []

    def hook(*, source_file, target_file, user):
        seen.append((source_file.filename, target_file.index.fullname, user.username))
        return [[200, "hooked", target_file.filename]]

    registry.register_push_hook("test-hook", hook)
    try:
        response = push(client, to_prod())
    finally:
        registry.unregister("test-hook")
    assert response.status_code == 200, response.content
    wheel, sdist = files
    assert seen == [
        (wheel.filename, "alice/prod", "alice"),
        (sdist.filename, "alice/prod", "alice"),
    ]
    assert [line[1] for line in json.loads(response.content)["result"]] == [
        "register",
        "store_releasefile",
        "hooked",
        "store_releasefile",
        "hooked",
    ]


def test_a_failing_hook_rolls_the_whole_push_back(client, files, prod):
    def hook(*, source_file, target_file, user):
        if source_file.filename.endswith(".tar.gz"):
            raise Conflict("hook says no")
        return []

    registry.register_push_hook("test-hook", hook)
    try:
        refused(push(client, to_prod()), 409, "hook says no")
    finally:
        registry.unregister("test-hook")
    assert not ReleaseFile.objects.filter(index=prod).exists()
    assert not Release.objects.filter(project__index=prod).exists()


# -- to an external index ----------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """An upload endpoint that records each POST and answers with the next
    of ``server.answers`` (200 when none are left)."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = email.message_from_bytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
        )
        fields, files = {}, {}
        for part in message.get_payload():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_param("filename", header="content-disposition")
            data = part.get_payload(decode=True)
            if filename is not None:
                files[name] = (filename, data)
            else:
                fields.setdefault(name, []).append(data.decode())
        self.server.requests.append(
            {"auth": self.headers.get("Authorization"), "fields": fields, "files": files}
        )
        status, text = self.server.answers.pop(0) if self.server.answers else (200, "")
        payload = text.encode()
        self.send_response(status, text or None)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.requests, server.answers = [], []
    with serving(server):
        server.url += "/legacy/"
        yield server


def external(upstream, **extra) -> dict:
    return {
        "name": "example",
        "version": "1.0",
        "posturl": upstream.url,
        "username": "me",
        "password": "s3cret",
        **extra,
    }


def test_external_push_uploads_every_file(client, files, upstream):
    wheel, sdist = files
    response = push(client, external(upstream))
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["result"] == [
        [200, "upload", f"alice/dev/+f/{wheel.hash_path}"],
        [200, "upload", f"alice/dev/+f/{sdist.hash_path}"],
    ]
    assert len(upstream.requests) == 2
    for request, source, filetype, pyversion in zip(
        upstream.requests, files, ("bdist_wheel", "sdist"), ("py3", "source"), strict=True
    ):
        assert request["auth"] == "Basic " + base64.b64encode(b"me:s3cret").decode()
        fields = request["fields"]
        assert fields[":action"] == ["file_upload"] and fields["protocol_version"] == ["1"]
        assert fields["name"] == ["example"] and fields["version"] == ["1.0"]
        assert fields["filetype"] == [filetype] and fields["pyversion"] == [pyversion]
        assert fields["sha256_digest"] == [source.sha256]
        assert fields["summary"] == ["an example"]
        filename, data = request["files"]["content"]
        assert filename == source.filename
        assert hashlib.sha256(data).hexdigest() == source.sha256


def test_external_push_with_register_project(client, files, upstream):
    response = push(client, external(upstream, register_project=True))
    assert response.status_code == 200, response.content
    assert upstream.requests[0]["fields"][":action"] == ["submit"]
    assert upstream.requests[0]["files"] == {}
    assert json.loads(response.content)["result"][0] == [200, "register", "example", "1.0"]


def test_external_refusal_is_a_502_with_the_actionlog(client, files, upstream):
    wheel, sdist = files
    upstream.answers = [(200, ""), (403, "Invalid or non-existent authentication")]
    response = push(client, external(upstream))
    refused(response, 502, f"upload of {sdist.filename} to {upstream.url} failed: 403")
    data = json.loads(response.content)
    assert data["type"] == "actionlog"
    assert data["result"][0] == [200, "upload", f"alice/dev/+f/{wheel.hash_path}"]
    assert data["result"][1][:3] == [403, "upload", f"alice/dev/+f/{sdist.hash_path}"]
    assert "Invalid or non-existent authentication" in data["result"][1][3]


def test_external_stops_at_the_first_refusal(client, files, upstream):
    upstream.answers = [(401, "no")]
    response = push(client, external(upstream))
    assert response.status_code == 502
    assert len(upstream.requests) == 1


def test_external_unreachable_is_a_502(client, files):
    from tests.live import free_port

    body = {
        "name": "example",
        "version": "1.0",
        "username": "me",
        "password": "pw",
        "posturl": f"http://127.0.0.1:{free_port()}/legacy/",
    }
    response = push(client, body)
    refused(response, 502, "error pushing upload of example-1.0-py3-none-any.whl")
    assert json.loads(response.content)["result"][0][0] == -1


def test_external_push_needs_upload_rights_on_the_source(client, files, upstream, alice, bob):
    # devpi lets anyone push a release out; here the server would make the
    # requests for them, so it takes upload rights on the source index
    refused(
        push(client, external(upstream), user=None),
        401,
        "an external push needs upload rights on the source index",
    )
    refused(
        push(client, external(upstream), user="bob"),
        403,
        "an external push needs upload rights on the source index",
    )
    with pytest.raises(Unauthorized):
        release_push_external(
            source="alice/dev",
            project="example",
            version="1.0",
            posturl=upstream.url,
            username="me",
            password="pw",
            user=None,
        )
    assert upstream.requests == []
    refused(
        push(client, external(upstream, version="3.0")), 404, "there are no files for example 3.0"
    )
    assert upstream.requests == []
    actionlog = release_push_external(
        source="alice/dev",
        project="example",
        version="1.0",
        posturl=upstream.url,
        username="me",
        password="pw",
        user=alice,
    )
    assert [line[0] for line in actionlog] == [200, 200]


def test_external_posturl_goes_through_the_egress_guard(client, files, upstream):
    # 127.0.0.2 is loopback but not in the tests' DEVPI_ALLOW_PRIVATE_UPSTREAMS
    port = upstream.server_address[1]
    for posturl in (
        f"http://127.0.0.2:{port}/legacy/",
        f"http://[::ffff:127.0.0.2]:{port}/",
        f"http://169.254.169.254:{port}/",
        f"http://10.1.2.3:{port}/",
    ):
        response = push(client, external(upstream, posturl=posturl))
        refused(response, 400, "DEVPI_ALLOW_PRIVATE_UPSTREAMS")
    assert upstream.requests == []


def test_external_refusal_reports_a_short_clean_reason_not_the_body(client, files, upstream):
    upstream.answers = [(403, "Bad\x1b[31m credentials " + "x" * 500)]
    response = push(
        client,
        external(
            upstream,
            posturl=upstream.url.replace("http://", "http://me:hunter2@"),
            username="u",
            password="p",
        ),
    )
    assert response.status_code == 502
    data = json.loads(response.content)
    reason = data["result"][0][3]
    assert reason.startswith("Bad") and "credentials" in reason and len(reason) <= 100
    assert "\x1b" not in response.content.decode()
    assert "hunter2" not in response.content.decode()
    assert "x" * 101 not in response.content.decode()


def test_external_push_sends_the_docs_and_takes_410_for_them(client, files, dev, upstream):
    from indexes.services.docs import doczip_upload

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", b"docs")
    doczip_upload(
        index=dev,
        user=dev.owner,
        form=UploadForm({"name": ["example"], "version": ["1.0"]}),
        content=io.BytesIO(buffer.getvalue()),
    )
    upstream.answers = [
        (200, ""),
        (200, ""),
        (410, "Uploading documentation is no longer supported"),
    ]
    response = push(client, external(upstream))
    assert response.status_code == 200, response.content
    result = json.loads(response.content)["result"]
    assert result[2][:3] == [410, "docfile", "example"]
    doc_request = upstream.requests[2]
    assert doc_request["fields"][":action"] == ["doc_upload"]
    filename, data = doc_request["files"]["content"]
    assert filename == "example.zip" and data == buffer.getvalue()
    # without the docs nothing is sent for them
    upstream.requests.clear()
    assert push(client, external(upstream, no_docs=True)).status_code == 200
    assert [r["fields"][":action"] for r in upstream.requests] == [["file_upload"]] * 2


def test_push_over_a_file_on_a_volatile_index_logs_devpi_history(client, alice, tmp_path):
    """devpi-client's own test_push_existing_to_volatile: the pushed link's history is
    [overwrite (count 1), the source's upload, push], the source's is untouched."""
    prod = stage(alice, "prod")
    dev = stage(alice, "dev", bases=["alice/prod"])
    put(prod, make_sdist(tmp_path / "one", "hello", "1.0", requires_python=">=3.1"), name="hello")
    put(dev, make_sdist(tmp_path / "two", "hello", "1.0", requires_python=">=3.2"), name="hello")
    body = {"name": "hello", "version": "1.0", "targetindex": "alice/prod"}
    assert push(client, body).status_code == 200
    (link,) = json.loads(client.get("/alice/prod/hello", HTTP_ACCEPT=JSON).content)["result"][
        "1.0"
    ]["+links"]
    assert [e["what"] for e in link["log"]] == ["overwrite", "upload", "push"]
    assert link["log"][0]["count"] == 1 and link["log"][0]["who"] is None
    assert link["log"][1]["dst"] == "alice/dev"
    assert link["log"][2] | {"when": None} == {
        "what": "push",
        "who": "alice",
        "when": None,
        "src": "alice/dev",
        "dst": "alice/prod",
    }
    assert len(link["log"][2]["when"]) == 6
    (source,) = json.loads(client.get("/alice/dev/hello", HTTP_ACCEPT=JSON).content)["result"][
        "1.0"
    ]["+links"]
    assert [(e["what"], e["dst"]) for e in source["log"]] == [("upload", "alice/dev")]
    # a second overwrite counts on; the source's own overwrite entries never travel
    put(dev, make_sdist(tmp_path / "three", "hello", "1.0", requires_python=">=3.3"), name="hello")
    assert push(client, body).status_code == 200
    (link,) = json.loads(client.get("/alice/prod/hello", HTTP_ACCEPT=JSON).content)["result"][
        "1.0"
    ]["+links"]
    assert [e["what"] for e in link["log"]] == ["overwrite", "upload", "push"]
    assert link["log"][0]["count"] == 2


def test_upload_over_a_file_on_a_volatile_index_logs_an_overwrite(dev, tmp_path):
    first = put(dev, make_sdist(tmp_path / "one", "example", "1.0", requires_python=">=3.1"))
    assert [e["what"] for e in first.log] == ["upload"]
    second = put(dev, make_sdist(tmp_path / "two", "example", "1.0", requires_python=">=3.2"))
    assert [e["what"] for e in second.log] == ["overwrite", "upload"]
    assert second.log[0]["count"] == 1 and second.log[1]["who"] == "alice"


def test_version_json_lists_the_bases_copies_under_shadowing(client, alice, tmp_path):
    """devpi's ``+shadowing``: the same version on a base, which ``devpi list`` shows."""
    prod = stage(alice, "prod")
    dev = stage(alice, "dev", bases=["alice/prod"])
    put(prod, make_sdist(tmp_path / "one", "hello", "1.0", requires_python=">=3.1"), name="hello")
    put(dev, make_wheel(tmp_path / "two", "hello", "1.0"), name="hello")
    data = json.loads(client.get("/alice/dev/hello/1.0", HTTP_ACCEPT=JSON).content)["result"]
    (own,) = data["+links"]
    assert own["href"].endswith(".whl") and "/alice/dev/+f/" in own["href"]
    (shadowed,) = data["+shadowing"]
    (base_link,) = shadowed["+links"]
    assert "/alice/prod/+f/" in base_link["href"] and base_link["href"].endswith(".tar.gz")
    assert shadowed["version"] == "1.0" and "+shadowing" not in shadowed
    project = json.loads(client.get("/alice/dev/hello", HTTP_ACCEPT=JSON).content)["result"]
    assert project["1.0"]["+shadowing"] == [shadowed]
    # only the index itself: nothing shadowed
    alone = json.loads(client.get("/alice/dev/hello?ignore_bases", HTTP_ACCEPT=JSON).content)
    assert "+shadowing" not in alone["result"]["1.0"]
    assert (
        "+shadowing"
        not in json.loads(client.get("/alice/prod/hello/1.0", HTTP_ACCEPT=JSON).content)["result"]
    )
