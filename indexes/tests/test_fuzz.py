"""Property-based fuzzing (hypothesis) of what a hostile upload controls:
archive inspection (generated and mutated zips and tars), doc zip checks,
release file names and core metadata. The property: nothing is ever raised
but the domain's own errors, and what is returned is well formed.

The budget is fixed (derandomized, a bounded number of examples, no example
database), so ``make test`` runs the same examples every time, in seconds.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import warnings
import zipfile

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from client.upload import metadata_form
from indexes.distribution.archives import (
    ArchiveLimits,
    InvalidArchive,
    core_metadata_of,
    inspect_archive,
    parse_core_metadata,
)
from indexes.distribution.doczip import READ_ERRORS, InvalidDocZip, check_doczip
from indexes.distribution.filenames import DistFilename, InvalidFilename, parse_filename
from indexes.distribution.metadata import METADATA_KEYS, metadata_from_form
from indexes.distribution.zipdirectory import ZipDirectoryError, check_zip_directory

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LIMITS = ArchiveLimits(
    max_members=30,
    max_metadata_bytes=2048,
    max_directory_bytes=16 * 1024,
    min_inflated_bytes=64 * 1024,
    max_inflate_ratio=4,
)
# names an archive is inspected under: every branch of inspect_archive
DIST_NAMES = [
    "pkg-1.0-py3-none-any.whl",
    "pkg-1.0.zip",
    "pkg-1.0.tar.gz",
    "pkg-1.0.tar.bz2",
    "pkg-1.0.tar.xz",
    "pkg-1.0.tar",
    "pkg-1.0.tgz",
    "pkg-1.0-py3.11.egg",
    "pkg-1.0.linux-x86_64.tar.gz",
    "pkg-1.0.linux-x86_64.zip",
]
PACKAGETYPES = {
    "bdist_wheel",
    "sdist",
    "bdist_egg",
    "bdist_dumb",
    "bdist_wininst",
    "bdist_msi",
    "bdist_rpm",
    "bdist_dmg",
    "bdist_deb",
}

METADATA_TEXT = st.sampled_from(
    [
        "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\nbody",
        "Name: pkg\nVersion: 1.0\n",
        "Name: other\nVersion: 2\n",
        "Name: pkg\n Version: 1.0\n\tfolded\n",
        "Version: 1.0\n",
        "",
        "Name: pkg\nName: pkg2\nVersion: 1.0\nVersion: 1.0\n",
        "Name: =?utf-8?b?cGtn?=\nVersion: 1.0\n",
        "Name: \udcff\nVersion: 1.0\n",
    ]
).map(lambda text: text.encode("utf-8", "surrogateescape")) | st.binary(max_size=300)

MEMBER_NAMES = st.sampled_from(
    [
        "pkg-1.0/PKG-INFO",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/WHEEL",
        "EGG-INFO/PKG-INFO",
        "pkg/__init__.py",
        "pkg-1.0/",
        "PKG-INFO",
        "a/b/c/PKG-INFO",
        "other-2.0.dist-info/METADATA",
        "../escape",
        "/abs",
        "C:/x",
        "a\\b",
        "index.html",
        "a/../../b",
        "x" * 300,
        "",
        ".",
        "dir/./f",
        "\x00nul",
        "ünïcode/PKG-INFO",
    ]
) | st.text(max_size=40)

MEMBERS = st.lists(st.tuples(MEMBER_NAMES, METADATA_TEXT | st.binary(max_size=200)), max_size=8)


def build_zip(members, compression) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", compression) as zf:
        warnings.simplefilter("ignore")  # duplicate names are part of the fuzz
        for name, data in members:
            try:
                zf.writestr(name or "empty", data)
            except Exception:  # a name zipfile cannot write: the builder's limit
                zf.writestr("fallback", data)
    return buffer.getvalue()


TAR_FORMATS = [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]
TAR_TYPES = [
    tarfile.REGTYPE,
    tarfile.DIRTYPE,
    tarfile.SYMTYPE,
    tarfile.LNKTYPE,
    tarfile.CHRTYPE,
    tarfile.FIFOTYPE,
    tarfile.CONTTYPE,
    tarfile.GNUTYPE_SPARSE,
]


def build_tar(members, fmt, types, compression) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tf:
        for (name, data), kind in zip(members, types, strict=False):
            info = tarfile.TarInfo(name or "empty")
            info.type = kind
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = "pkg-1.0/PKG-INFO"
            info.size = len(data) if kind in (tarfile.REGTYPE, tarfile.CONTTYPE) else 0
            try:
                tf.addfile(info, io.BytesIO(data) if info.size else None)
            except Exception:  # a header tarfile cannot write: skip it
                continue
    data = raw.getvalue()
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    return data


def mutate(data: bytes, edits) -> bytes:
    """Overwrite, cut or insert bytes: damage where parsers trust lengths."""
    buffer = bytearray(data)
    for kind, position, payload in edits:
        if not buffer:
            buffer.extend(payload)
            continue
        at = position % (len(buffer) + 1)
        if kind == "set":
            buffer[at : at + len(payload)] = payload
        elif kind == "cut":
            del buffer[at : at + 1 + position % 64]
        else:
            buffer[at:at] = payload
    return bytes(buffer)


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["set", "cut", "insert"]),
        st.integers(min_value=0, max_value=2**20),
        st.binary(min_size=1, max_size=8)
        | st.sampled_from(
            [
                b"\xff\xff\xff\xff",
                b"\x00\x00\x00\x00",
                b"\xff\xff",
                b"PK\x01\x02",
                b"PK\x05\x06",
                b"PK\x06\x06",
                b"PK\x06\x07",
                b"\x80\x00\x00",
            ]
        ),
    ),
    max_size=4,
)

ZIPS = st.builds(
    build_zip,
    MEMBERS,
    st.sampled_from(
        [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
    ),
)
TARS = st.builds(
    build_tar,
    MEMBERS,
    st.sampled_from(TAR_FORMATS),
    st.lists(st.sampled_from(TAR_TYPES), min_size=8, max_size=8),
    st.sampled_from(["gz", "bz2", "xz", ""]),
)
ARCHIVES = st.builds(mutate, ZIPS | TARS, EDITS) | st.binary(max_size=600)


def check_inspection(data: bytes, filename: str) -> None:
    dist = parse_filename(filename, version_hint="1.0")
    fileobj = io.BytesIO(data)
    try:
        result = inspect_archive(fileobj, dist, LIMITS)
    except InvalidArchive as exc:
        assert str(exc)
    else:
        assert result is None or (
            isinstance(result, bytes) and len(result) <= LIMITS.max_metadata_bytes
        )
    assert fileobj.tell() == 0
    try:
        metadata = core_metadata_of(io.BytesIO(data), filename, LIMITS)
    except InvalidArchive:
        pass
    else:
        assert metadata is None or len(metadata) <= LIMITS.max_metadata_bytes


@FUZZ
@given(ARCHIVES, st.sampled_from(DIST_NAMES))
def test_archive_inspection_raises_only_invalid_archive(data, filename):
    check_inspection(data, filename)


def _zip_needing_version_6_4() -> bytes:
    """Found by this fuzz: zipfile raised NotImplementedError from a doc zip."""
    data = bytearray(build_zip([("index.html", b"x")], zipfile.ZIP_STORED))
    data[data.find(b"PK\x01\x02") + 6] = 64  # version needed to extract: 6.4
    return bytes(data)


@FUZZ
@given(ZIPS | st.builds(mutate, ZIPS, EDITS))
@example(_zip_needing_version_6_4())
def test_zip_directory_and_doc_zips_raise_only_their_errors(data):
    try:
        count = check_zip_directory(io.BytesIO(data), max_entries=30, max_bytes=16 * 1024)
    except ZipDirectoryError:
        pass
    else:
        assert 0 <= count <= 30
    try:
        members = check_doczip(io.BytesIO(data), max_files=30, max_bytes=64 * 1024)
    except InvalidDocZip as exc:
        assert str(exc)
        return
    # what the unpacking step then reads: only the errors it turns into a 400
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in members:
                assert member.path and not member.path.startswith("/")
                assert ".." not in member.path.split("/")
                with archive.open(member.info) as source:
                    total += len(source.read())
    except READ_ERRORS:
        pass
    assert total <= 64 * 1024


# -- release file names -------------------------------------------------------------

NAME_PART = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,12}", fullmatch=True)
VERSION = st.sampled_from(
    [
        "1.0",
        "1",
        "2.0.dev1",
        "1.0rc1",
        "1.0.post1",
        "0!1.0",
        "1.0+local",
        "1.0-1",
        "v1",
        "1.0.0.0.0",
        "1_0",
        "",
    ]
) | st.text(max_size=8)
SUFFIX = st.sampled_from(
    [
        ".tar.gz",
        ".zip",
        ".tar.bz2",
        ".tgz",
        ".tar.xz",
        ".tar",
        ".egg",
        ".exe",
        ".msi",
        ".rpm",
        ".dmg",
        ".deb",
        "-py3-none-any.whl",
        "-cp311-cp311-manylinux_2_17_x86_64.whl",
        "-1-py3-none-any.whl",
        ".linux-x86_64.tar.gz",
        ".win32.zip",
        "-py2.7.egg",
        ".whl",
        "",
    ]
)
FILENAMES = st.builds(
    lambda name, sep, version, suffix: f"{name}{sep}{version}{suffix}",
    NAME_PART,
    st.sampled_from(["-", "_", ".", ""]),
    VERSION,
    SUFFIX,
) | st.text(max_size=60)


@FUZZ
@given(FILENAMES, st.none() | VERSION)
def test_filename_parsing_raises_only_invalid_filename(filename, hint):
    try:
        dist = parse_filename(filename, version_hint=hint)
    except InvalidFilename as exc:
        assert str(exc)
        return
    assert isinstance(dist, DistFilename)
    assert dist.filename == filename
    assert dist.packagetype in PACKAGETYPES
    assert dist.project and dist.project == canonicalize_name(dist.project)
    assert isinstance(dist.version, str) and dist.version
    assert isinstance(dist.pyversion, str)
    assert "/" not in filename and "\\" not in filename and "\x00" not in filename


# -- core metadata ------------------------------------------------------------------

HEADER_LINES = st.lists(
    st.builds(
        lambda key, value: f"{key}: {value}",
        st.sampled_from(
            [
                "Name",
                "Version",
                "Requires-Python",
                "Classifier",
                "Project-URL",
                "Provides-Extra",
                "Description",
                "name",
                "X-\udcff",
                "Summary",
                "",
            ]
        ),
        st.text(max_size=30),
    )
    | st.text(max_size=30),
    max_size=10,
)
METADATA = st.builds(
    lambda lines, body: ("\n".join(lines) + "\n\n" + body).encode("utf-8", "surrogateescape"),
    HEADER_LINES,
    st.text(max_size=50),
) | st.binary(max_size=400)


@FUZZ
@given(METADATA)
def test_core_metadata_parsing_never_raises(data):
    meta = parse_core_metadata(data)
    for key, value in meta.items():
        assert isinstance(key, str) and key == key.lower()
        assert isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        )
    fields = metadata_form(data)
    for key, values in fields.items():
        assert isinstance(key, str) and isinstance(values, list)
        assert all(isinstance(v, str) for v in values)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(list(METADATA_KEYS) + ["provides_extra", "other"]),
        st.lists(st.text(max_size=20), max_size=3),
        max_size=10,
    ),
    st.booleans(),
)
def test_metadata_from_form_never_raises(fields, only_present):
    def get(key, default=None):
        values = fields.get(key)
        return values[-1] if values else default

    meta = metadata_from_form(
        get, lambda key: list(fields.get(key, [])), set(fields), only_present=only_present
    )
    assert set(meta) <= set(METADATA_KEYS)
    assert all(isinstance(v, (str, list)) for v in meta.values())
