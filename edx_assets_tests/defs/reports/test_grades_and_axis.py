"""Grades, the course axis and the package's other tables, recomputed from the package files."""

import io
import json
import re
import tarfile
from collections import Counter

from edx_assets.local.sample_package import PackageWriter
from edx_assets_tests.defs.reports.truth import SUNDAY, WORLD, course_order, package_table
from edx_assets_tests.support import read_rows


def test_every_learner_with_a_persistent_grade_has_that_grade(run):
    person = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "person_course.csv")}
    grades_file = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "person_grades.csv")}
    without_certificate = 0
    for course in WORLD.courses:
        rows = package_table(course, "grades_persistentcoursegrade")
        assert bool(rows) != course.old_export  # an old course's export carries none
        certified = {int(r["user_id"]) for r in package_table(course, "certificates_generatedcertificate")}
        for row in rows:
            key = (course.cid.v1, int(row["user_id"]))
            assert float(person[key]["grade"]) == float(row["percent_grade"]), key
            assert person[key]["grade_source"] == "grades_persistentcoursegrade"
            assert person[key]["completed"] == ("1" if row["passed_timestamp"] else "0")
            assert person[key]["passed_at"] == (row["passed_timestamp"] or "")
            assert grades_file[key]["letter_grade"] == (row["letter_grade"] or "")
            without_certificate += int(row["user_id"]) not in certified
    assert without_certificate > 0, "the sample must hold graded learners without a certificate"
    # An audit learner who passed has the pass, certificate or not.
    assert any(r["mode"] == "audit" and r["completed"] == "1" for r in person.values())


def test_course_axis_lists_every_block_in_course_order(run):
    rows = read_rows(run["dir"] / "course_axis.csv")
    for course in WORLD.courses:
        structure = json.loads(PackageWriter(WORLD, SUNDAY).structure(course))
        mine = [r for r in rows if r["course_id"] == course.cid.v1]
        assert [r["block_id"] for r in mine] == course_order(structure)
        assert [int(r["index"]) for r in mine] == list(range(1, len(structure) + 1))
        parents = {child: block for block, b in structure.items() for child in b.get("children", [])}
        for row in mine:
            # format and due come from the sequential (where edX keeps them), inherited below it.
            node = row["block_id"]
            while node in parents and "format" not in structure[node]["metadata"]:
                node = parents[node]
            metadata = structure[node]["metadata"]
            assert row["gformat"] == metadata.get("format", ""), row["block_id"]
            assert row["due"] == (metadata["due"].replace("T", " ").removesuffix("Z") if "due" in metadata else "")
            assert row["module_id"].split("/") == [course.cid.org, course.cid.number, row["category"],
                                                   row["block_id"].rsplit("@", 1)[-1].rsplit("/", 1)[-1]]
            if row["gformat"]:
                weight = {g["type"]: g["weight"] for g in course.grader}[row["gformat"]]
                assert float(row["assignment_type_weight"]) == weight
        videos = [r for r in mine if r["category"] == "video" and r["video_duration"]]
        assert videos and all(float(r["video_duration"]) == course.video_duration(r["block_id"]) for r in videos)


def test_grading_policy_as_the_olx_export_states_it(run):
    rows = read_rows(run["dir"] / "grading_policy.csv")
    for course in WORLD.courses:
        mine = [r for r in rows if r["course_id"] == course.cid.v1]
        with tarfile.open(fileobj=io.BytesIO(PackageWriter(WORLD, SUNDAY).course_tarball(course))) as tar:
            names = tar.getnames()
            member = f"course/policies/{course.cid.run}/grading_policy.json"
            if member in names:
                policy, source = json.loads(tar.extractfile(member).read()), f"course_xml:{member}"
            else:  # an old export: the structure's course block holds it
                structure = json.loads(PackageWriter(WORLD, SUNDAY).structure(course))
                [block] = [b for b in structure.values() if b["category"] == "course"]
                policy, source = block["metadata"]["grading_policy"], "structure:grading_policy"
        assert [(r["assignment_type"], float(r["fraction_of_overall_grade"]), int(r["min_count"]),
                 int(r["drop_count"]), r["policy_source"]) for r in mine] == [
            (g["type"], g["weight"], g["min_count"], g["drop_count"], source) for g in policy["GRADER"]]
        assert json.loads(mine[0]["grade_cutoffs"]) == policy["GRADE_CUTOFFS"]


def test_subsection_grades_join_the_outline(run):
    rows = read_rows(run["dir"] / "person_subsection_grades.csv")
    axis = {(r["course_id"], r["block_id"]): r for r in read_rows(run["dir"] / "course_axis.csv")}
    expected = []
    for course in WORLD.courses:
        expected += [(course.cid.v1, int(r["user_id"]), r["usage_key"], float(r["earned_graded"]),
                      r["first_attempted"] or "") for r in package_table(course, "grades_persistentsubsectiongrade")]
    assert sorted((r["course_id"], int(r["user_id"]), r["block_id"], float(r["earned_graded"]), r["first_attempted"])
                  for r in rows) == sorted(expected)
    for r in rows:
        outline = axis[(r["course_id"], r["block_id"])]
        assert (r["index"], r["sequential_name"], r["gformat"]) == (outline["index"], outline["name"], outline["gformat"])
        assert r["attempted"] == ("1" if r["first_attempted"] else "0")


def test_cohorts_partition_groups_and_teams_from_the_package(run):
    person = {(r["course_id"], int(r["user_id"])): r for r in read_rows(run["dir"] / "person_course.csv")}
    seen = Counter()
    for course in WORLD.courses:
        cohorts = {int(r["user_id"]): r["name"] for r in package_table(course, "course_groups_cohortmembership")}
        structure = json.loads(PackageWriter(WORLD, SUNDAY).structure(course))
        [block] = [b for b in structure.values() if b["category"] == "course"]
        partitions = {p["id"]: (p["name"], {g["id"]: g["name"] for g in p["groups"]})
                      for p in block["metadata"].get("user_partitions", [])}
        groups = {}
        for r in package_table(course, "user_api_usercoursetag"):
            pid = int(r["key"].rsplit("_", 1)[-1])
            groups[int(r["user_id"])] = f"{partitions[pid][0]}: {partitions[pid][1][int(r['value'])]}"
        teams = {int(r["id"]): r["name"] for r in package_table(course, "teams")}
        members = {int(r["user_id"]): teams[int(r["team_id"])] for r in package_table(course, "teams_membership")}
        for (cid, uid), row in person.items():
            if cid != course.cid.v1:
                continue
            assert row["cohort"] == cohorts.get(uid, ""), (cid, uid)
            assert row["partition_groups"] == groups.get(uid, ""), (cid, uid)
            assert row["team"] == members.get(uid, ""), (cid, uid)
        seen.update(cohort=len(cohorts), partition=len(groups), team=len(members))
    assert min(seen.values()) > 0, seen


def test_a_package_without_the_newer_tables_reports_them_unknown(run):
    """The old course's export carries no persistent grades, cohorts, tags, teams or anonymous ids: the
    course still loads, the catalog names what is missing, and nothing reads as zero."""
    course = next(c for c in WORLD.courses if c.old_export)
    entry = run["db"].courses.find_one({"_id": course.cid.v1})
    assert {"grades_persistentcoursegrade", "grades_persistentsubsectiongrade", "course_groups_cohortmembership",
            "user_api_usercoursetag", "teams"} <= set(entry["tables_missing"])
    person = [r for r in read_rows(run["dir"] / "person_course.csv") if r["course_id"] == course.cid.v1]
    certified = {int(r["user_id"]): r for r in package_table(course, "certificates_generatedcertificate")}
    for row in person:
        cert = certified.get(int(row["user_id"]))
        assert row["grade_source"] == ("certificate" if cert else "")
        assert (float(row["grade"]) if row["grade"] else None) == (float(cert["grade"]) if cert else None)  # not 0
    assert not [r for r in read_rows(run["dir"] / "person_subsection_grades.csv") if r["course_id"] == course.cid.v1]
    general_row = {r["id"]: r for r in read_rows(run["dir"] / "general_report.csv")}[course.cid.v1]
    assert general_row["grade_source"] == "certificate"


def test_person_problem_is_every_problem_record_with_its_score_attempts_and_place(run):
    """Every problem row of the package's courseware_studentmodule (read with csv and json), one row each:
    edX's grade and max_grade, the state's attempts, created and modified, and the problem's place in the
    outline (course_axis.csv, joined here on the block's name)."""
    rows = {(r["course_id"], int(r["user_id"]), r["problem_id"]): r for r in read_rows(run["dir"] / "person_problem.csv")}
    axis = {(r["course_id"], r["url_name"]): r for r in read_rows(run["dir"] / "course_axis.csv")
            if r["category"] == "problem"}
    expected = {(course.cid.v1, int(r["student_id"]), r["module_id"]): r for course in WORLD.courses
                for r in package_table(course, "courseware_studentmodule") if r["module_type"] == "problem"}
    assert len(expected) > 100 and set(rows) == set(expected)
    placed = 0
    for (course_id, _, module_id), raw in expected.items():
        row = rows[(course_id, _, module_id)]
        grade, max_grade = float(raw["grade"]), float(raw["max_grade"])
        assert (float(row["problem_raw_score"]), float(row["problem_max_score"])) == (grade, max_grade)
        assert float(row["problem_pct_score"]) == grade / max_grade
        assert int(row["n_attempts"]) == json.loads(raw["state"])["attempts"]
        assert (row["first_opened"], row["last_modified"]) == (raw["created"], raw["modified"])
        outline = axis.get((course_id, re.split(r"[@/]", module_id)[-1]))  # block-v1:…@name or i4x://…/name
        if outline is not None:
            placed += 1
            assert (row["index"], row["problem_name"], row["gformat"]) == (outline["index"], outline["name"],
                                                                         outline["gformat"])
        else:  # not in the outline (the structure does not hold it): the row stays, its place unknown
            assert (row["index"], row["problem_name"], row["chapter_name"]) == ("", "", "")
    outlined = {c for c, _ in axis}
    assert placed == sum(1 for (c, _, _) in expected if c in outlined) > 0
