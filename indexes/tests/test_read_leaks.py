"""Nothing of a private index leaks through ANY URL (issue 12 A).

The URL patterns are not listed here: they are read from the URL conf's own
resolver (its reverse tables, namespaces included), filled in with the names
of a private index, its project, version, files, doczip and tox result, and
requested as an anonymous client and as a logged-in non-reader, with the
Accept headers of pip, devpi-client, browsers and PEP 691 clients. A new URL
pattern is walked without touching this file; a pattern whose parameters
cannot be filled in fails the test, so it cannot be skipped silently.
"""

import itertools
import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from indexes.models import Index, ReleaseFile
from tests.factories import make_wheel
from toxresults.tests.conftest import report_bytes

from .conftest import (
    JSON,
    PIP_ACCEPT,
    SIMPLE_JSON,
    basic,
    create_user,
    mirror_cache_project,
    mirror_index,
    mirror_link,
    stage,
    upload,
)
from .test_docs import make_zip

SUMMARY = "Widget for the zqxj internal use only"
PRIVATE_INDEXES = ("alice/private", "bob/child", "alice/secretmirror")
# URLs of a private index that answer 200 by design: they say nothing but
# what the URL itself names (devpi-client's `use` reads them before login)
OPEN_ROUTES = {r"^(?P<user>[^/+][^/]*)/(?P<index>[^/+][^/]*)/\+api$"}
VARIANTS = [
    {},
    {"HTTP_ACCEPT": JSON},
    {"HTTP_ACCEPT": SIMPLE_JSON},
    {"HTTP_ACCEPT": "text/html"},
    {"HTTP_ACCEPT": PIP_ACCEPT, "HTTP_USER_AGENT": "pip/26.0 {}"},
]


def _join(route1: str, route2: str) -> str:
    # how Django joins the routes of nested patterns (ResolverMatch.route)
    return route2 if not route1 else route1 + route2.removeprefix("^")


def leaf_routes(patterns, prefix: str = "") -> set[str]:
    routes = set()
    for pattern in patterns:
        route = _join(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            routes |= leaf_routes(pattern.url_patterns, route)
        else:
            assert isinstance(pattern, URLPattern)
            routes.add(route)
    return routes


def url_formats(resolver, prefix: str = ""):
    """(format string, parameter names) of every pattern, from the
    resolver's reverse tables (what ``reverse()`` uses), namespaces too."""
    for _key, entries in resolver.reverse_dict.lists():
        for possibilities, _pattern, _defaults, _converters in entries:
            for fmt, params in possibilities:
                yield prefix + fmt, tuple(params)
    for _namespace, (ns_prefix, sub) in resolver.namespace_dict.items():
        yield from url_formats(sub, prefix + re.sub(r"\\(.)", r"\1", ns_prefix))


@pytest.fixture
def secrets(client, root, blob_dir, tmp_path, settings):
    settings.DEVPI = {**settings.DEVPI, "RESTRICT_MODIFY": None}
    alice, bob = create_user("alice"), create_user("bob")
    stage(alice, "private", acl_read="alice")
    stage(bob, "child", bases="alice/private")  # public itself, over a private base
    mirror = mirror_index(alice, "secretmirror", acl_read="alice")
    mirror_cache_project(mirror, "mirrorsecret", [mirror_link("mirrorsecret-2.0.tar.gz", "2.0")])
    wheel = make_wheel(tmp_path / "w", "secretpkg", "1.0")
    r = upload(
        client,
        "/alice/private/",
        wheel,
        name="secretpkg",
        version="1.0",
        extra=[("summary", SUMMARY)],
        headers=basic("alice"),
    )
    assert r.status_code == 200, r.content
    r = upload(
        client,
        "/alice/private/",
        None,
        name="secretpkg",
        version="1.0",
        action="doc_upload",
        filename="secretpkg-1.0.doc.zip",
        content=make_zip({"index.html": b"<p>secret docs</p>"}),
        headers=basic("alice"),
    )
    assert r.status_code == 200, r.content
    file = ReleaseFile.objects.get(filename=wheel.name)
    r = client.post(
        f"/alice/private/+f/{file.hash_path}",
        report_bytes("tox4_report.json"),
        content_type=JSON,
        **basic("alice"),
    )
    assert r.status_code == 200, r.content
    toxresult = json.loads(r.content)["result"]
    doczip = file.release.doczip
    mirror_link_path = "mirrorsecret-2.0.tar.gz"
    values = {
        ("user", "index"): [tuple(name.split("/")) for name in PRIVATE_INDEXES],
        "project": ["secretpkg", "SecretPkg", "mirrorsecret"],
        "version": ["1.0", "latest"],
        "path": [
            file.hash_path,
            file.hash_path + ".metadata",
            doczip.hash_path,
            toxresult.split("/+f/", 1)[1],
            f"abc/defabcdefabcd/{mirror_link_path}",
        ],
        "relpath": ["index.html", ""],
        # the admin's parameters
        "app_label": ["indexes"],
        "model_name": ["index", "releasefile", "project"],
        "object_id": [str(Index.objects.get(name="private").pk), str(file.pk)],
        "content_type_id": ["1"],
        "id": [str(root.pk)],
        "url": ["no-such-page/"],
        "uidb64": ["MQ"],
        "token": ["set-password"],
        # API tokens (/<user>/+tokens/<id>, the settings page's revoke form)
        "token_id": ["0123abcd"],
    }
    forbidden = {
        "secretpkg",
        wheel.name,
        file.sha256,
        file.sha256[3:16],
        "internal use",
        "secret docs",
        "mirrorsecret-2.0",
        doczip.sha256,
        "py311",
    }
    return values, forbidden


def fill(fmt: str, params: tuple[str, ...], values: dict):
    """Every URL a format makes with the values (user and index in pairs)."""
    pair = ("user", "index")
    names = [p for p in params if p not in pair]
    missing = [p for p in names if p not in values]
    assert not missing, f"no test values for URL parameters {missing} of {fmt!r}: add them"
    pairs = values[pair] if set(pair) <= set(params) else [()]
    if any(p in params for p in pair) and not set(pair) <= set(params):
        pairs = [(u,) for u in ("alice", "bob")]
    for owner_index, combo in itertools.product(
        pairs, itertools.product(*[values[n] for n in names])
    ):
        kwargs = dict(zip(names, combo, strict=True))
        if len(owner_index) == 2:
            kwargs.update(user=owner_index[0], index=owner_index[1])
        elif owner_index:
            kwargs["user"] = owner_index[0]
        url = "/" + fmt % kwargs
        if "+search" in url:
            url += "?query=zqxj"
        yield url


def walk(client, values, headers):
    """(url, route, variant, response) of every URL of every pattern."""
    for fmt, params in sorted(set(url_formats(get_resolver()))):
        for url in fill(fmt, params, values):
            route = resolve(url.split("?")[0]).route
            for variant in VARIANTS:
                for method in (client.get, client.head):
                    yield url, route, variant, method(url, **variant, **headers)


def body(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode("utf-8", "replace")


def _no_secret(url, variant, response, forbidden):
    text = body(response) + "\n".join(f"{k}: {v}" for k, v in response.items())
    leaked = [s for s in forbidden if s in text]
    assert not leaked, (url, variant, response.status_code, leaked, text[:500])


@pytest.mark.parametrize("who, refusal", [(None, 401), ("bob", 403)])
def test_no_url_leaks_a_private_index(client, secrets, who, refusal):
    values, forbidden = secrets
    headers = basic(who) if who else {}
    routes_seen, answers = set(), {}
    for url, route, variant, response in walk(client, values, headers):
        routes_seen.add(route)
        _no_secret(url, variant, response, forbidden)
        path = url.split("?")[0]
        if not any(path.startswith(f"/{name}") for name in PRIVATE_INDEXES):
            continue
        status = response.status_code
        answers[status] = answers.get(status, 0) + 1
        if route in OPEN_ROUTES:
            assert status == 200
        elif 300 <= status < 400:  # the web UI's forms send browsers to log in
            assert response["Location"].startswith("/+login?next="), (url, response["Location"])
        else:
            assert status in (refusal, 404, 405), (url, variant, status, response.content[:300])
        if status == 401:
            assert response["WWW-Authenticate"] == 'Basic realm="devpi"'
    # every pattern of the URL conf was requested
    assert routes_seen == leaf_routes(get_resolver().url_patterns)
    assert answers.get(refusal, 0) > 100, answers


def test_the_walk_sees_secrets_when_allowed(client, secrets):
    """The control: as the owner the same walk finds every kind of secret, so
    the leak test above would see a leak."""
    values, forbidden = secrets
    found = set()
    for _url, _route, _variant, response in walk(client, values, basic("alice")):
        text = body(response)
        found |= {s for s in forbidden if s in text}
    assert {"secretpkg", "internal use", "secret docs", "mirrorsecret-2.0", "py311"} <= found
