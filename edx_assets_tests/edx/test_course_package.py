"""Safe extraction and decryption of weekly packages, with real zip files and the real gpg."""

import stat
import zipfile

import pytest

from edx_assets.edx import course_package, crypto
from edx_assets.local.gpg_tools import SenderKeyring
from edx_assets_tests.support import make_package

pytestmark = pytest.mark.services  # real gpg, mongod or S3

TSV = b"id\tuser_id\tcourse_id\tcreated\tis_active\tmode\n1\t1\tcourse-v1:A+B+C\t2026-10-01 10:00:00\t1\thonor\n"


@pytest.fixture
def ring(private_key, passphrase):
    with crypto.keyring(private_key, passphrase) as keyring:
        yield keyring


def test_members_are_decrypted_privately_and_listed(tmp_path, public_key, ring):
    package = make_package(tmp_path / "idbx-2026-10-04.zip", {
        "A-B-C-student_courseenrollment-prod-analytics.sql": TSV,
        "A-B-C-auth_user-prod-analytics.sql": b"id\tusername\n",
        "A-B-C-wiki_article-prod-analytics.sql": b"id\n1\n",
        "ora/A-B-C-ora2_submissions-prod-analytics.sql": b"id\n",
        "A-B-C-grades_persistentcoursegrade-prod-analytics.sql.failed": b"Traceback...\n",
        "README.txt": b"hello",
    }, public_key)
    target = tmp_path / "out"
    manifest = course_package.extract_and_decrypt(package, target, ring)
    by_path = {f.path: f for f in manifest.files}
    enrollment = by_path["A-B-C-student_courseenrollment-prod-analytics.sql"]
    assert (enrollment.course, enrollment.table, enrollment.kind, enrollment.rows) == (
        "A-B-C", "student_courseenrollment", "table", 1)
    assert (target / enrollment.path).read_bytes() == TSV
    assert by_path["A-B-C-auth_user-prod-analytics.sql"].rows == 0
    assert manifest.courses == ["A-B-C"]
    assert [f.member for f in manifest.failed] == [
        "idbx-2026-10-04/A-B-C-grades_persistentcoursegrade-prod-analytics.sql.failed"]
    assert {f.path for f in manifest.unknown} == {"README.txt"}
    wiki = by_path["A-B-C-wiki_article-prod-analytics.sql"]
    assert (wiki.kind, wiki.rows) == ("table", 1)  # an unknown table: loaded as text
    ora = by_path["ora/A-B-C-ora2_submissions-prod-analytics.sql"]
    assert (ora.course, ora.table, ora.kind, ora.rows) == ("A-B-C", "ora2_submissions", "ora", 0)
    assert manifest.ora_tables("A-B-C") == {"ora2_submissions": ora}
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert stat.S_IMODE((target / enrollment.path).stat().st_mode) == 0o600
    assert not (target / ".encrypted").exists()


def _raw_zip(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("idbx-2026-10-04/../../evil.sql.gpg", r"climbs out"),
        ("../evil.sql.gpg", r"climbs out"),
        ("/etc/evil.sql.gpg", r"absolute path"),
        ("C:/evil.sql.gpg", r"absolute path"),
    ],
)
def test_path_tricks_are_refused_before_anything_is_written(tmp_path, ring, name, message):
    package = _raw_zip(tmp_path / "p.zip", [(zipfile.ZipInfo("idbx-2026-10-04/ok.sql.gpg"), b"x"),
                                            (zipfile.ZipInfo(name), b"x")])
    target = tmp_path / "deep" / "out"
    with pytest.raises(course_package.UnsafePackageError, match=message):
        course_package.extract_and_decrypt(package, target, ring)
    assert not (tmp_path / "evil.sql").exists() and not (tmp_path / "deep" / "evil.sql").exists()
    assert list(target.iterdir()) == []


def test_symlinks_are_refused(tmp_path, ring):
    link = zipfile.ZipInfo("idbx-2026-10-04/link.sql.gpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    package = _raw_zip(tmp_path / "p.zip", [(link, b"/etc/passwd")])
    with pytest.raises(course_package.UnsafePackageError, match="symbolic link"):
        course_package.extract_and_decrypt(package, tmp_path / "out", ring)


def test_duplicate_member_names_are_refused(tmp_path, ring):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we make on purpose
        package = _raw_zip(tmp_path / "p.zip", [(zipfile.ZipInfo("idbx/a.sql.gpg"), b"1"),
                                                (zipfile.ZipInfo("idbx/a.sql.gpg"), b"2")])
    with pytest.raises(course_package.UnsafePackageError, match="appears twice"):
        course_package.extract_and_decrypt(package, tmp_path / "out", ring)


def test_zip_bomb_ratio_is_refused(tmp_path, ring):
    info = zipfile.ZipInfo("idbx-2026-10-04/bomb.sql.gpg")
    info.compress_type = zipfile.ZIP_DEFLATED
    package = _raw_zip(tmp_path / "p.zip", [(info, b"\0" * (20 << 20))])
    with pytest.raises(course_package.UnsafePackageError, match="zip bomb"):
        course_package.extract_and_decrypt(package, tmp_path / "out", ring)


def test_total_size_cap(tmp_path):
    package = _raw_zip(tmp_path / "p.zip", [(zipfile.ZipInfo(f"t/{i}.gpg"), b"x" * 1000) for i in range(5)])
    with zipfile.ZipFile(package) as archive, pytest.raises(course_package.UnsafePackageError, match="more than"):
        course_package.check_members(archive, max_total=3000)


def test_corrupt_and_truncated_zips(tmp_path, public_key, ring):
    (tmp_path / "junk.zip").write_bytes(b"this is not a zip at all")
    with pytest.raises(course_package.CorruptPackageError, match=r"junk\.zip is not a readable zip"):
        course_package.extract_and_decrypt(tmp_path / "junk.zip", tmp_path / "o1", ring)
    good = make_package(tmp_path / "good.zip", {"A-B-C-auth_user-prod-analytics.sql": b"id\tusername\n" * 500},
                        public_key)
    data = good.read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(course_package.CorruptPackageError, match=r"cut\.zip"):
        course_package.extract_and_decrypt(tmp_path / "cut.zip", tmp_path / "o2", ring)


def test_member_with_a_flipped_byte_fails_the_crc(tmp_path, public_key, ring):
    good = make_package(tmp_path / "good.zip", {"A-B-C-auth_user-prod-analytics.sql": b"id\tusername\n1\ta\n"},
                        public_key)
    data = bytearray(good.read_bytes())
    data[100] ^= 0xFF  # inside the first member's stored bytes
    (tmp_path / "bad.zip").write_bytes(bytes(data))
    with pytest.raises((course_package.CorruptPackageError, crypto.DecryptionError), match="auth_user"):
        course_package.extract_and_decrypt(tmp_path / "bad.zip", tmp_path / "out", ring)


def test_member_encrypted_to_another_key_is_named(tmp_path, ring):
    with crypto.gpg_home() as home:
        other = SenderKeyring(home, None)
        other_public = other.export_public(other.generate_key("Other", "o@example.invalid", "pw"))
    package = make_package(tmp_path / "p.zip", {"A-B-C-auth_user-prod-analytics.sql": b"id\tusername\n"},
                           other_public)
    with pytest.raises(crypto.DecryptionError,
                       match=r"p\.zip: member 'idbx-2026-10-04/A-B-C-auth_user-prod-analytics\.sql\.gpg'.*another key"):
        course_package.extract_and_decrypt(package, tmp_path / "out", ring)
