"""Per-course collections in a real mongod, checked against the sample world's ground truth."""

import json
import tarfile
from datetime import UTC, date, datetime

import pytest

from edx_assets.edx import course_load, course_package, crypto, layout
from edx_assets.local.sample_world import SampleSpec, SampleWorld
from edx_assets_tests.support import (
    FIXTURES,
    decrypted_packages,
    dir_package,
    expected_collections,
    make_package,
)

pytestmark = pytest.mark.services  # real gpg, mongod or S3

SPEC = SampleSpec(start=date(2026, 10, 4), end=date(2026, 10, 18), learners=50, events_per_day=100)
WORLD = SampleWorld(SPEC)


@pytest.fixture(scope="module")
def packages(tmp_path_factory, public_key, private_key, passphrase) -> dict[str, tuple]:
    """The sample world's packages of two Sundays, extracted and decrypted once for the module."""
    return decrypted_packages(WORLD, ["2026-10-11", "2026-10-18"], tmp_path_factory.mktemp("packages"),
                              public_key, private_key, passphrase, with_failed=True)


def _load(db, packages, sunday):
    manifest, folder = packages[sunday]
    return course_load.load_package(db, manifest, folder, date.fromisoformat(sunday), "idbx")


def _snapshot(db) -> dict[str, list]:
    return {name: sorted(db[name].find(), key=lambda d: str(d["_id"]))
            for name in sorted(db.list_collection_names()) if name != course_load.CATALOG}


def test_collections_hold_exactly_the_worlds_rows(db, packages):
    result = _load(db, packages, "2026-10-11")
    day = date(2026, 10, 11)
    assert len(result.courses) == len(WORLD.courses)
    for course in WORLD.courses:
        prefix = layout.collection_prefix(course.cid.file_prefix, "idbx")
        enrollments = WORLD.enrollments_at(course, day)
        expected = expected_collections(WORLD, course, day)
        counts = {suffix: db[f"{prefix}.{suffix}"].count_documents({}) for suffix in expected}
        assert counts == expected, prefix
        unenrolled = sum(1 for e in enrollments if not e.is_active_at(day))
        assert db[f"{prefix}.enrollments"].count_documents({"is_active": 0}) == unenrolled


def test_rows_are_typed(db, packages):
    _load(db, packages, "2026-10-11")
    course = WORLD.courses[0]
    prefix = layout.collection_prefix(course.cid.file_prefix, "idbx")
    learner = WORLD.learners_at(course, date(2026, 10, 11))[0]
    user = db[f"{prefix}.users"].find_one({"id": learner.user_id})
    assert user["username"] == learner.username and user["is_staff"] == int(learner.is_staff)
    assert user["date_joined"] == learner.date_joined.replace(microsecond=0, tzinfo=UTC)
    assert user["email_key"] is None  # NULL
    module = db[f"{prefix}.courseware"].find_one({"module_type": "problem"})
    assert isinstance(module["grade"], float) and isinstance(module["created"], datetime)
    assert isinstance(module["student_id"], int)
    enrollment = db[f"{prefix}.enrollments"].find_one()
    assert enrollment["course_id"] == course.course_id and enrollment["is_active"] in (0, 1)
    block = db[f"{prefix}.structure"].find_one({"category": "course"})
    assert block["display_name"] == course.display_name
    post = db[f"{prefix}.forum"].find_one()
    assert isinstance(post["created_at"], datetime)  # {"$date": ...} decoded
    assert {i["name"] for i in db[f"{prefix}.courseware"].list_indexes()} >= {"student_id", "module_id"}


def test_catalog_lists_every_course_with_both_ids_names_and_dates(db, packages):
    _load(db, packages, "2026-10-11")
    marks, letters, sources = set(), False, set()
    for course in WORLD.courses:
        entry = db.courses.find_one({"_id": course.cid.v1})
        assert entry is not None, course.cid.v1
        assert entry["legacy_id"] == course.cid.legacy
        assert entry["prefix"] == layout.collection_prefix(course.cid.file_prefix, "idbx")
        assert entry["display_name"] == course.display_name
        assert entry["start"].replace(tzinfo=UTC) == course.start.replace(tzinfo=UTC)
        # The pass mark as the decrypted files state it (read with json and tarfile): the lowest GRADE_CUTOFFS
        # of the course block's grading policy when the structure has one (an old export), else of the OLX
        # export's policies/<run>/grading_policy.json (where edX keeps it).
        folder = packages["2026-10-11"][1]
        [path] = folder.rglob(f"{course.cid.file_prefix}-course_structure-*.json")
        [block] = [b for b in json.loads(path.read_text(encoding="utf-8")).values() if b["category"] == "course"]
        if "grading_policy" in block["metadata"]:
            cutoffs, source = block["metadata"]["grading_policy"]["GRADE_CUTOFFS"], "structure:grading_policy.GRADE_CUTOFFS"
        else:
            [tar_path] = folder.rglob(f"{course.cid.file_prefix}-course-*.xml.tar.gz")
            with tarfile.open(tar_path) as tar:
                member = f"course/policies/{course.cid.run}/grading_policy.json"
                cutoffs = json.loads(tar.extractfile(member).read())["GRADE_CUTOFFS"]
            source = "course_xml:policies/grading_policy.json"
        sources.add(source)
        assert entry["passing_grade"] == min(cutoffs.values())
        assert entry["passing_grade_source"] == source
        marks.add(entry["passing_grade"])
        letters = letters or len(cutoffs) > 1
        assert entry["last_package"] == "2026-10-11" and entry["in_latest_package"] is True
    assert marks >= {0.6, 0.65, 0.7} and letters, "the sample must exercise several marks and letter grades"
    assert len(sources) == 2, "the sample must exercise both places a pass mark is found"
    non_ascii = next(c for c in WORLD.courses if "ñ" in c.cid.number)
    assert db.courses.find_one({"_id": non_ascii.cid.v1})["file_prefix"] == non_ascii.cid.file_prefix


def test_rerunning_a_week_leaves_everything_identical(db, packages):
    _load(db, packages, "2026-10-11")
    before = _snapshot(db)
    _load(db, packages, "2026-10-11")
    assert _snapshot(db) == before


def test_an_older_package_does_not_overwrite_a_newer_one(db, packages):
    _load(db, packages, "2026-10-18")
    before = _snapshot(db)
    result = _load(db, packages, "2026-10-11")
    assert all(c.skipped_newer == date(2026, 10, 18) for c in result.courses)
    assert _snapshot(db) == before


def test_a_bad_member_leaves_last_weeks_collections_intact(db, packages, tmp_path, public_key, private_key,
                                                           passphrase):
    _load(db, packages, "2026-10-11")
    before = _snapshot(db)
    manifest, folder = packages["2026-10-18"]
    # Copy next week's decrypted files and break one table of the last course.
    broken = tmp_path / "broken"
    for f in manifest.files:
        (broken / f.path).parent.mkdir(parents=True, exist_ok=True)
        (broken / f.path).write_bytes((folder / f.path).read_bytes())
    victim = next(f for f in manifest.files if f.course == WORLD.courses[-1].cid.file_prefix
                  and f.table == "courseware_studentmodule")
    with (broken / victim.path).open("a") as handle:
        handle.write("1\tproblem\tx\t1\t{}\t1.0\n")  # a ragged row
    with pytest.raises(ValueError, match=rf"{victim.path.split('/')[-1]}, line \d+"):
        course_load.load_package(db, manifest, broken, date(2026, 10, 18), "idbx")
    assert _snapshot(db) == before
    assert not [n for n in db.list_collection_names() if "__staging_" in n]


def test_a_course_missing_from_the_latest_package_keeps_its_collections_and_is_flagged(db, packages):
    _load(db, packages, "2026-10-11")
    manifest, folder = packages["2026-10-18"]
    gone = WORLD.courses[1].cid.file_prefix
    partial = course_package.Manifest(manifest.package, [f for f in manifest.files if f.course != gone])
    result = course_load.load_package(db, partial, folder, date(2026, 10, 18), "idbx")
    prefix = layout.collection_prefix(gone, "idbx")
    assert db.courses.find_one({"prefix": prefix})["in_latest_package"] is False
    assert db[f"{prefix}.users"].count_documents({}) > 0
    assert result.not_in_package == [WORLD.courses[1].cid.v1]


def test_leftovers_of_a_crashed_swap_are_dropped_on_the_next_load(db, packages):
    db.create_collection("idb4_1x_2015_t4.users__staging_deadbeef")
    _load(db, packages, "2026-10-11")
    assert "idb4_1x_2015_t4.users__staging_deadbeef" not in db.list_collection_names()


# ---- the real public sample dumps --------------------------------------------------------------

STATE = FIXTURES / "openedx__edx-analytics-pipeline" / "input" / "obfuscation" / "state"


def test_public_acceptance_dumps_load(db, tmp_path, public_key, private_key, passphrase):
    package = dir_package(tmp_path / "edx-2015-10-04.zip", STATE, public_key, top="edx-2015-10-04")
    with crypto.keyring(private_key, passphrase) as ring:
        manifest = course_package.extract_and_decrypt(package, tmp_path / "out", ring)
    result = course_load.load_package(db, manifest, tmp_path / "out", date(2015, 10, 4), "edX")
    [course] = result.courses
    assert course.course_id.v1 == "course-v1:edX+DemoX+Demo_Course"
    prefix = "demox_demo_course"
    assert course.prefix == prefix

    def data_rows(table: str) -> int:
        lines = (STATE / f"edX-DemoX-Demo_Course-{table}-acceptance.sql").read_bytes().splitlines()
        return len([line for line in lines[1:] if line.strip()])

    assert db[f"{prefix}.users"].count_documents({}) == data_rows("auth_user")
    assert db[f"{prefix}.enrollments"].count_documents({}) == data_rows("student_courseenrollment")
    assert db[f"{prefix}.certificates"].count_documents({}) == data_rows("certificates_generatedcertificate")
    assert db[f"{prefix}.courseware"].count_documents({}) == data_rows("courseware_studentmodule")
    assert db[f"{prefix}.demographics"].count_documents({}) == data_rows("auth_userprofile")
    assert db[f"{prefix}.userIDs"].count_documents({}) == 0  # no user_id_map in the sample: empty
    assert db[f"{prefix}.forum"].count_documents({}) == 3
    # Its structure file has no course block, so no pass mark: unknown, never a default.
    entry = db.courses.find_one({"_id": "course-v1:edX+DemoX+Demo_Course"})
    assert (entry["passing_grade"], entry["passing_grade_source"]) == (None, "unknown")
    state = db[f"{prefix}.courseware"].find_one({"id": 1})["state"]
    assert state.startswith('{"student_answers": {"5b60fa3470a2440eafeee24d6806eb1a_2_1": "{\\"answer')
    # Every table of edX's own acceptance package is loaded, whether this project knows it or not (the
    # verification table edX no longer exports among them), every row once (wiki_article repeats ids).
    assert manifest.unknown == []
    for table, suffix in {"teams": "teams", "teams_membership": "team_members", "user_api_usercoursetag": "user_tags",
                          "student_languageproficiency": "language_proficiency", "wiki_article": "wiki_articles",
                          "wiki_articlerevision": "wiki_revisions",
                          "verify_student_verificationstatus": "verification_status"}.items():
        assert db[f"{prefix}.{suffix}"].count_documents({}) == data_rows(table), table
    tag = db[f"{prefix}.user_tags"].find_one({"user_id": 2})
    assert (tag["key"], tag["value"]) == ("xblock.partition_service.partition_0", "2")
    # Not carried: empty collections, named in the catalog (unknown, not zero).
    assert db[f"{prefix}.grades_course"].count_documents({}) == 0
    assert {"grades_persistentcoursegrade", "course_groups_cohortmembership"} <= set(entry["tables_missing"])
    assert "teams" in entry["tables_delivered"] and "teams" not in entry["tables_missing"]
    # Its OLX export has only policy.json: loaded, and no pass mark in it.
    assert db[f"{prefix}.policies"].distinct("file") == ["policy"]
    members = course_load.dispositions(manifest, result)
    assert len(members) == len(manifest.files) and not [m for m in members if m[1] == "not loaded"]


def test_public_forum_dump_with_odd_extended_json(db, tmp_path, public_key, private_key, passphrase):
    forum = (FIXTURES / "DiscourseDB__discoursedb-core" / "discoursedb-io-edx" / "forum.json").read_bytes()
    package = make_package(tmp_path / "p.zip", {"edX-edX101-X-prod.mongo": forum}, public_key)
    with crypto.keyring(private_key, passphrase) as ring:
        manifest = course_package.extract_and_decrypt(package, tmp_path / "out", ring)
    result = course_load.load_package(db, manifest, tmp_path / "out", date(2026, 10, 4), "edX")
    stored = db[f"{result.courses[0].prefix}.forum"].count_documents({})
    lines = [line for line in forum.splitlines() if line.strip()]
    assert stored + result.courses[0].forum_rejected == len(lines)
    assert stored == len(lines)  # odd but JSON: every document kept




def test_a_primary_key_twice_in_a_table_names_the_member(db, tmp_path, public_key, private_key, passphrase):
    rows = b"id\tuser_id\tcourse_id\tcreated\tis_active\tmode\n" + b"7\t1\tA/B/C\tNULL\t1\thonor\n" * 2
    package = make_package(tmp_path / "p.zip", {"A-B-C-student_courseenrollment-prod-analytics.sql": rows},
                           public_key)
    with crypto.keyring(private_key, passphrase) as ring:
        manifest = course_package.extract_and_decrypt(package, tmp_path / "out", ring)
    with pytest.raises(course_load.DuplicateRowError,
                       match=r"A-B-C-student_courseenrollment-prod-analytics\.sql\.gpg: the id 7 appears on more"):
        course_load.load_package(db, manifest, tmp_path / "out", date(2026, 10, 4), "A")
    assert db.list_collection_names() == []


def test_role_tables_load_into_one_roles_collection(db, tmp_path, public_key, private_key, passphrase):
    """Both role tables land in `<course>.roles`, tagged by source; a forum table that names its roles only by
    id keeps them (`role_id:<n>`); a role table naming no role at all is refused, naming the member."""
    access = b"id\tuser_id\torg\tcourse_id\trole\n1\t7\tA\tA/B/C\tinstructor\n2\t8\tA\tA/B/C\tbeta_testers\n"
    forum = b"id\trole_id\tuser_id\n1\t3\t7\n2\t4\t9\n"
    package = make_package(tmp_path / "p.zip", {"A-B-C-student_courseaccessrole-prod-analytics.sql": access,
                                                "A-B-C-django_comment_client_role_users-prod-analytics.sql": forum},
                           public_key)
    with crypto.keyring(private_key, passphrase) as ring:
        manifest = course_package.extract_and_decrypt(package, tmp_path / "out", ring)
    result = course_load.load_package(db, manifest, tmp_path / "out", date(2026, 10, 4), "A")
    docs = sorted((d["source"], d["user_id"], d["role"]) for d in db[f"{result.courses[0].prefix}.roles"].find())
    assert docs == [("course", 7, "instructor"), ("course", 8, "beta_testers"), ("forum", 7, "role_id:3"),
                    ("forum", 9, "role_id:4")]
    assert result.courses[0].rows["roles"] == 4
    bad = make_package(tmp_path / "q.zip", {"A-B-C-django_comment_client_role_users-prod-analytics.sql":
                                            b"id\tuser_id\n1\t7\n"}, public_key)
    with crypto.keyring(private_key, passphrase) as ring:
        manifest = course_package.extract_and_decrypt(bad, tmp_path / "out2", ring)
    with pytest.raises(ValueError, match=r"django_comment_client_role_users-prod-analytics\.sql\.gpg: header names no role"):
        course_load.load_package(db, manifest, tmp_path / "out2", date(2026, 10, 11), "A")
