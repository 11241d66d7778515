"""Bounded archive inspection: bombs are refused without being inflated."""

import io
import struct
import tarfile
import time
import tracemalloc
import zipfile

import pytest

from indexes.distribution.archives import (
    ArchiveLimits,
    InvalidArchive,
    core_metadata_of,
    inspect_archive,
)
from indexes.distribution.doczip import InvalidDocZip, check_doczip
from indexes.distribution.filenames import parse_filename
from indexes.distribution.zipdirectory import (
    ZipDirectoryError,
    ZipDirectoryTooLarge,
    check_zip_directory,
    find_zip_directory,
)
from tests import bombs
from tests.factories import core_metadata, make_sdist, make_wheel

SMALL = ArchiveLimits(
    max_members=20,
    max_metadata_bytes=4096,
    max_directory_bytes=64 * 1024,
    min_inflated_bytes=256 * 1024,
    max_inflate_ratio=4,
)


def inspect(path, limits=SMALL, hint="1.0"):
    with open(path, "rb") as fh:
        return inspect_archive(fh, parse_filename(path.name, version_hint=hint), limits)


def zip_file(path, members: dict[str, bytes], **kwargs):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, **kwargs) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


class Measured:
    """Peak Python memory and time of a block."""

    def __enter__(self):
        tracemalloc.start()
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.seconds = time.monotonic() - self.started
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


# -- the central directory, before zipfile ------------------------------------------


def test_directory_found_like_zipfile(tmp_path):
    path = zip_file(tmp_path / "a.zip", {"a": b"1", "b/c": b"2"})
    with open(path, "rb") as fh:
        assert check_zip_directory(fh, max_entries=2, max_bytes=1000) == 2
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = b"an archive comment"
    with open(path, "rb") as fh:
        assert check_zip_directory(fh, max_entries=2, max_bytes=1000) == 2
    # a signature inside the comment: zipfile takes the last one, and so do we
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = b"PK\x05\x06" + b"\0" * 30
    with open(path, "rb") as fh:
        assert check_zip_directory(fh, max_entries=2, max_bytes=1000) == 0
    with zipfile.ZipFile(path) as zf:
        assert zf.infolist() == []


def test_zip64_directory_is_read_from_the_zip64_record(tmp_path):
    path = bombs.zip_with_entries(tmp_path / "z.zip", 70_000)
    with open(path, "rb") as fh:
        directory = find_zip_directory(fh)
        assert directory.declared_entries == 70_000
        with pytest.raises(
            ZipDirectoryTooLarge, match="has 70000 entries, more than the limit of 1000"
        ):
            check_zip_directory(fh, max_entries=1000, max_bytes=10**9)
        assert check_zip_directory(fh, max_entries=70_000, max_bytes=10**9) == 70_000
    with zipfile.ZipFile(path) as zf:  # the same directory zipfile reads
        assert len(zf.infolist()) == 70_000


def test_a_lying_entry_count_is_caught_by_counting(tmp_path):
    path = bombs.zip_with_entries(tmp_path / "lie.zip", 3000, declared=3)
    with open(path, "rb") as fh:
        with pytest.raises(ZipDirectoryTooLarge, match="more than the limit of 100 entries"):
            check_zip_directory(fh, max_entries=100, max_bytes=10**9)
        with pytest.raises(ZipDirectoryTooLarge, match="central directory of .* bytes"):
            check_zip_directory(fh, max_entries=10**6, max_bytes=1000)


@pytest.mark.parametrize("data", [b"", b"PK", b"not a zip" * 100, b"PK\x05\x06" + b"\xff" * 18])
def test_not_a_zip(data):
    with pytest.raises(ZipDirectoryError):
        check_zip_directory(io.BytesIO(data), max_entries=10, max_bytes=1000)


# -- release files ------------------------------------------------------------------


def test_zip_sdist_pkg_info_bomb_is_refused_unread(tmp_path):
    path = bombs.zip_sdist_pkg_info_bomb(tmp_path, "pkg", "1.0", inflated=50 * 1024**2)
    with (
        Measured() as m,
        pytest.raises(
            InvalidArchive, match="pkg-1.0.zip PKG-INFO is larger than the limit of 10485760 bytes"
        ),
    ):
        inspect(path, ArchiveLimits())
    assert m.peak < 4 * 1024**2 and m.seconds < 5


def test_pkg_info_lying_about_its_size_is_read_no_further(tmp_path):
    """A declared size under the limit: zipfile stops there and the CRC fails."""
    path = bombs.zip_sdist_pkg_info_bomb(tmp_path, "pkg", "1.0", inflated=1024**2)
    data = bytearray(path.read_bytes())
    # shrink the declared uncompressed size of PKG-INFO in its central record
    at = data.rfind(b"PK\x01\x02")
    struct.pack_into("<L", data, at + 24, 100)
    (tmp_path / "lie").mkdir()
    lied = tmp_path / "lie" / "pkg-1.0.zip"
    lied.write_bytes(bytes(data))
    with pytest.raises(InvalidArchive, match="pkg-1.0.zip is not a valid zip archive"):
        inspect(lied, ArchiveLimits())


def test_wheel_metadata_bomb_is_refused(tmp_path):
    path = bombs.wheel_metadata_bomb(tmp_path, "pkg", "1.0", inflated=20 * 1024**2)
    with (
        Measured() as m,
        pytest.raises(InvalidArchive, match="METADATA is larger than the limit of 10485760 bytes"),
    ):
        inspect(path, ArchiveLimits())
    assert m.peak < 4 * 1024**2


def test_metadata_at_the_limit_is_accepted(tmp_path):
    head = core_metadata("pkg", "1.0").encode()
    path = bombs.zip_with_huge_member(
        tmp_path / "pkg-1.0-py3-none-any.whl",
        "pkg-1.0.dist-info/METADATA",
        head,
        SMALL.max_metadata_bytes,
    )
    assert len(inspect(path)) == SMALL.max_metadata_bytes
    path.unlink()
    bombs.zip_with_huge_member(
        path, "pkg-1.0.dist-info/METADATA", head, SMALL.max_metadata_bytes + 1
    )
    with pytest.raises(InvalidArchive, match="larger than the limit of 4096 bytes"):
        inspect(path)


def test_zip_entries_over_the_limit(tmp_path):
    members = {f"pkg-1.0/f{i}": b"" for i in range(SMALL.max_members + 1)}
    with pytest.raises(
        InvalidArchive, match="pkg-1.0.zip has 21 entries, more than the limit of 20"
    ):
        inspect(zip_file(tmp_path / "pkg-1.0.zip", members))
    wheel = zip_file(tmp_path / "pkg-1.0-py3-none-any.whl", members)
    with pytest.raises(InvalidArchive, match="has 21 entries"):
        inspect(wheel)


def test_encrypted_metadata_is_refused(tmp_path):
    path = zip_file(
        tmp_path / "pkg-1.0.zip", {"pkg-1.0/PKG-INFO": core_metadata("pkg", "1.0").encode()}
    )
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        struct.pack_into("<H", data, at + flag_at, 1)
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidArchive, match="PKG-INFO is encrypted"):
        inspect(path)


def test_tar_gz_bomb_is_refused_at_the_inflation_limit(tmp_path):
    path = bombs.tar_gz_bomb(tmp_path, "pkg", "1.0", members=8, member_size=64 * 1024)
    with pytest.raises(
        InvalidArchive,
        match=r"pkg-1.0.tar.gz inflates to more than the limit "
        r"of 262144 bytes",
    ):
        inspect(path)
    roomy = ArchiveLimits(min_inflated_bytes=10 * 1024**2)
    assert inspect(path, roomy) is None  # within bounds: PKG-INFO (last) was checked


def test_tar_declared_member_size_beyond_the_limit_is_not_inflated(tmp_path):
    path = tmp_path / "pkg-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo("pkg-1.0/huge")
        info.size = 10 * 1024**3  # declared only: the data is cut short
        tf.addfile(info)
    with Measured() as m, pytest.raises(InvalidArchive, match="inflates to more than the limit"):
        inspect(path)
    assert m.seconds < 2


def test_tar_members_over_the_limit(tmp_path):
    path = bombs.tar_gz_bomb(tmp_path, "pkg", "1.0", members=SMALL.max_members + 1, member_size=512)
    with pytest.raises(InvalidArchive, match="has more than the limit of 20 members"):
        inspect(path, ArchiveLimits(max_members=SMALL.max_members))


def test_tar_huge_pax_header_is_refused(tmp_path):
    path = tmp_path / "pkg-1.0.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("pkg-1.0/x")
        info.pax_headers = {"comment": "x" * (2 * 1024**2)}
        tf.addfile(info)
    with pytest.raises(InvalidArchive, match="tar header larger than the limit"):
        inspect(path, ArchiveLimits())


def test_tar_global_pax_headers_are_capped(tmp_path):
    path = tmp_path / "pkg-1.0.tar"
    with tarfile.open(
        path, "w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "y" * 100_000}
    ) as tf:
        tf.addfile(tarfile.TarInfo("pkg-1.0/x"))
    with pytest.raises(InvalidArchive, match="global pax headers larger than"):
        inspect(path, ArchiveLimits())


def test_tar_negative_member_size_is_refused(tmp_path):
    header = bytearray(bombs._tar_header("pkg-1.0/x", 0))
    header[124:136] = b"\xff" * 10 + struct.pack(">h", -1024)  # base-256: -1024
    header[148:156] = b" " * 8
    header[148:155] = f"{sum(header):06o}\0".encode()
    path = tmp_path / "pkg-1.0.tar"
    path.write_bytes(bytes(header) + b"\0" * 2048)
    with pytest.raises(InvalidArchive, match="pkg-1.0.tar has a tar member with a negative size"):
        inspect(path)


def test_tar_chained_pax_headers_are_refused(tmp_path):
    """tarfile recurses once per chained header: a long chain is refused,
    not a RecursionError (500)."""
    record = b"13 comment=x\n"
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, len(record)
    pax = info.tobuf(tarfile.USTAR_FORMAT) + record + b"\0" * (512 - len(record))
    path = tmp_path / "pkg-1.0.tar"
    path.write_bytes(pax * 2000 + bombs._tar_header("pkg-1.0/x", 0) + b"\0" * 1024)
    with pytest.raises(InvalidArchive, match="pkg-1.0.tar has too deeply chained tar headers"):
        inspect(path, ArchiveLimits())


def test_sdist_pkg_info_larger_than_the_limit_in_a_tar(tmp_path):
    path = tmp_path / "pkg-1.0.tar.gz"
    data = core_metadata("pkg", "1.0").encode() + b"x" * 5000
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo("pkg-1.0/PKG-INFO")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    with pytest.raises(InvalidArchive, match="PKG-INFO is larger than the limit of 4096"):
        inspect(path)


def test_valid_files_pass_with_default_limits(tmp_path):
    assert inspect(make_wheel(tmp_path, "pkg", "1.0"), ArchiveLimits()) is not None
    assert inspect(make_sdist(tmp_path, "pkg", "1.0"), ArchiveLimits()) is None


# -- core metadata for `manage.py devpi upload` ---------------------------------------


def test_core_metadata_of_reads_within_bounds(tmp_path):
    wheel = make_wheel(tmp_path, "pkg", "1.0")
    with open(wheel, "rb") as fh:
        assert b"Name: pkg" in core_metadata_of(fh, wheel.name)
    sdist = make_sdist(tmp_path, "pkg", "1.0")
    with open(sdist, "rb") as fh:
        assert b"Version: 1.0" in core_metadata_of(fh, sdist.name)
    bomb = bombs.zip_sdist_pkg_info_bomb(tmp_path, "big", "1.0", inflated=20 * 1024**2)
    with open(bomb, "rb") as fh, pytest.raises(InvalidArchive, match="larger than the limit"):
        core_metadata_of(fh, bomb.name)
    with open(bomb, "rb") as fh:
        assert core_metadata_of(fh, "big-1.0.egg") is None  # no EGG-INFO/PKG-INFO


def test_cli_upload_reads_metadata_within_bounds(tmp_path):
    from client.upload import read_archive
    from indexes.errors import Invalid

    bomb = bombs.zip_sdist_pkg_info_bomb(tmp_path, "big", "1.0", inflated=20 * 1024**2)
    with (
        Measured() as m,
        pytest.raises(
            Invalid,
            match="cannot read archive: big-1.0.zip "
            "big-1.0/PKG-INFO is larger than the "
            "limit of 10485760 bytes",
        ),
    ):
        read_archive(bomb)
    assert m.peak < 4 * 1024**2
    tar = bombs.tar_gz_bomb(tmp_path, "tar", "1.0", members=300, member_size=1024**2)
    with pytest.raises(Invalid, match="inflates to more than the limit"):
        read_archive(tar)


# -- documentation zips -------------------------------------------------------------


def test_doc_zip_with_400k_entries_is_refused_before_parsing(tmp_path):
    path = bombs.zip_with_entries(tmp_path / "doc.zip", 400_000)
    with (
        open(path, "rb") as fh,
        Measured() as m,
        pytest.raises(
            InvalidDocZip,
            match="documentation zip has 400000 entries, more than the limit of 10000",
        ),
    ):
        check_doczip(fh, max_files=10_000, max_bytes=10**9)
    assert m.peak < 1024**2 and m.seconds < 2


def test_doc_zip_lying_count_is_refused(tmp_path):
    path = bombs.zip_with_entries(tmp_path / "doc.zip", 20_000, declared=5)
    with (
        open(path, "rb") as fh,
        pytest.raises(InvalidDocZip, match="more than the limit of 10000 entries"),
    ):
        check_doczip(fh, max_files=10_000, max_bytes=10**9)


def test_doc_zip_unsupported_compression_is_refused(tmp_path):
    path = zip_file(tmp_path / "doc.zip", {"index.html": b"<p>hi</p>"})
    data = bytearray(path.read_bytes())
    for signature, method_at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        struct.pack_into("<H", data, data.find(signature) + method_at, 99)
    with pytest.raises(InvalidDocZip, match="unsupported compression method"):
        check_doczip(io.BytesIO(bytes(data)), max_files=10, max_bytes=1000)
