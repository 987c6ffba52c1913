"""The sample delivery generator: deterministic, encrypted like edX, and shaped per the format reference."""

import gzip
import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from edx_assets.edx import crypto, layout
from edx_assets.local.sample import write_event_log
from edx_assets.local.sample_package import PackageWriter
from edx_assets.local.sample_world import SampleSpec, SampleWorld
from edx_assets_tests.support import SMALL_SPEC

pytestmark = pytest.mark.services  # real gpg, mongod or S3


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    spec = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 5), learners=30, events_per_day=200)
    day = date(2026, 10, 5)
    a = write_event_log(SampleWorld(spec), day, tmp_path / "a.gz")
    b = write_event_log(SampleWorld(spec), day, tmp_path / "b.gz")
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == gzip.decompress((tmp_path / "b.gz").read_bytes())
    assert a.as_dict() == b.as_dict()
    other = SampleSpec(**{**spec.__dict__, "seed": 8})
    write_event_log(SampleWorld(other), day, tmp_path / "c.gz")
    assert gzip.decompress((tmp_path / "c.gz").read_bytes()) != gzip.decompress((tmp_path / "a.gz").read_bytes())


def test_delivery_keys_follow_edx_layout(delivery):
    delivered, _ = delivery
    assert delivered.event_keys == {
        str(d): layout.event_log_key("idbx", "edx", d)
        for d in (SMALL_SPEC.start + timedelta(days=i) for i in range(3))
    }
    assert delivered.package_keys == {"2026-10-04": "idbx-2026-10-04.zip"}


def _decrypt_events(s3_client, bucket, key, tmp_path, private_key, passphrase) -> list[bytes]:
    target = tmp_path / "enc.gpg"
    s3_client.download_file(bucket, key, str(target))
    with crypto.keyring(private_key, passphrase) as ring:
        out = ring.decrypt_to(target, tmp_path / "plain.log", gunzip=True)
    return out.path.read_bytes().splitlines()


def test_event_logs_decrypt_and_hold_the_quirks_of_real_logs(delivery, s3_client, tmp_path, private_key,
                                                           passphrase):
    delivered, names = delivery
    day = "2026-10-04"
    lines = _decrypt_events(s3_client, names["events"], delivered.event_keys[day], tmp_path, private_key,
                            passphrase)
    truth = delivered.days[day]
    assert len(lines) == truth.lines
    events, bad = [], 0
    for line in lines:
        start = line.find(b"{")
        try:
            obj = json.loads(line[start:]) if start >= 0 else None
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            events.append(obj)
        else:
            bad += 1
    assert (len(events), bad) == (truth.valid, truth.rejected)
    assert any(not line.startswith(b"{") and b"{" in line for line in lines)  # syslog prefixes
    sources = {e["event_source"] for e in events}
    assert {"browser", "server", "mobile"} <= sources
    assert any(isinstance(e["event"], str) and e["event"].startswith("{") for e in events)  # JSON strings
    assert any(isinstance(e["event"], dict) for e in events)  # objects
    assert any(isinstance(e["event"], str) and e["event"].startswith("input_") for e in events)
    assert any(e["username"] == "" for e in events)  # anonymous
    mobile = [e for e in events if e["event_source"] == "mobile"]
    assert mobile and all(e["ip"] == "" and e["time"][:10] < day for e in mobile)  # received a day later
    assert any(e["event_type"].startswith("/courses/") for e in events)  # implicit URL events
    assert any("data.section" in json.dumps(e.get("event")) for e in events)  # keys with dots
    assert any("/" in e["context"]["course_id"] and "course-v1" not in e["context"]["course_id"] for e in events)
    assert {e["event_type"] for e in events} >= {
        "play_video", "pause_video", "problem_check", "seq_goto", "edx.course.enrollment.activated",
        "edx.forum.thread.created"}


def test_packages_are_zips_of_individually_encrypted_members(delivery, s3_client, tmp_path, private_key,
                                                             passphrase):
    delivered, names = delivery
    body = s3_client.get_object(Bucket=names["courses"], Key=delivered.package_keys["2026-10-04"])["Body"].read()
    archive = zipfile.ZipFile(io.BytesIO(body))
    members = archive.namelist()
    assert all(m.startswith("idbx-2026-10-04/") for m in members)
    assert any(m.startswith("idbx-2026-10-04/ora/") for m in members)
    assert all(m.endswith(".gpg") or m.endswith(".failed") for m in members)
    world = SampleWorld(SMALL_SPEC)
    for course in world.courses:
        prefix = course.cid.file_prefix
        for table in layout.LOADED_TABLES:  # (a self-paced course generates no certificates: no file)
            if not (course.self_paced and table == "certificates_generatedcertificate"):
                assert f"idbx-2026-10-04/{prefix}-{table}-prod-analytics.sql.gpg" in members
        newer = f"idbx-2026-10-04/{prefix}-grades_persistentcoursegrade-prod-analytics.sql.gpg"
        assert (newer in members) != course.old_export  # an old course's export lacks the newer tables
        assert f"idbx-2026-10-04/{prefix}-course_structure-prod-analytics.json.gpg" in members
        assert f"idbx-2026-10-04/{prefix}-prod.mongo.gpg" in members
    # One member, decrypted: a TSV whose header matches edX's auth_user columns and NULL as text.
    name = f"idbx-2026-10-04/{world.courses[0].cid.file_prefix}-auth_user-prod-analytics.sql.gpg"
    (tmp_path / "m.gpg").write_bytes(archive.read(name))
    with crypto.keyring(private_key, passphrase) as ring:
        text = ring.decrypt_to(tmp_path / "m.gpg", tmp_path / "m.sql", gunzip=False).path.read_text()
    header, *rows = text.splitlines()
    assert header.split("\t")[:5] == ["id", "username", "first_name", "last_name", "email"]
    assert rows and all(len(r.split("\t")) == len(header.split("\t")) for r in rows)
    assert "NULL" in text


def test_tsv_escapes_and_legacy_ids(tmp_path):
    world = SampleWorld(SMALL_SPEC)
    legacy = next(c for c in world.courses if c.legacy)
    files = PackageWriter(world, date(2026, 10, 4)).write(tmp_path)
    profile = next(f for f in files if f.name == f"{legacy.cid.file_prefix}-auth_userprofile-prod-analytics.sql")
    text = profile.read_text()
    assert "\\t" in text and "\\n" in text and "\\\\" in text  # escaped TAB, LF and backslash
    enrollments = next(f for f in files
                       if f.name == f"{legacy.cid.file_prefix}-student_courseenrollment-prod-analytics.sql")
    assert f"\t{legacy.cid.legacy}\t" in enrollments.read_text()
    assert any("_" in c.cid.file_prefix and "ñ" in c.cid.number for c in world.courses)


@pytest.mark.parametrize("day", [date(2026, 10, 4), date(2026, 10, 5)])
def test_ground_truth_counts_lines_by_kind(tmp_path, day):
    truth = write_event_log(SampleWorld(SMALL_SPEC), day, tmp_path / "x.gz")
    lines = gzip.decompress((tmp_path / "x.gz").read_bytes()).splitlines()
    assert truth.lines == len(lines) == truth.valid + truth.rejected
    assert truth.valid >= SMALL_SPEC.events_per_day
    assert sum(truth.by_type.values()) == truth.valid
