"""ora_activity, recomputed from the package's raw `ora/` tables and student_anonymoususerid (csv module)."""

from collections import Counter

from edx_assets_tests.defs.reports.truth import WORLD, package_table
from edx_assets_tests.support import read_rows


def test_ora_activity_counts_submissions_scores_and_assessments_from_the_raw_tables(run):
    rows = {(r["course_id"], int(r["user_id"]), r["item_id"]): r for r in read_rows(run["dir"] / "ora_activity.csv")}
    expected = {}
    for course in WORLD.courses:
        items = {r["id"]: r for r in package_table(course, "submissions_studentitem", ora=True)}
        if not items:
            continue
        user = {r["anonymous_user_id"]: int(r["user_id"]) for r in package_table(course, "student_anonymoususerid")}
        submissions = package_table(course, "submissions_submission", ora=True)
        essay_of = {s["uuid"]: s["student_item_id"] for s in submissions}
        assessments = package_table(course, "assessment_assessment", ora=True)
        received = Counter((essay_of[a["submission_uuid"]], a["score_type"]) for a in assessments)
        given = Counter((a["scorer_id"], items[essay_of[a["submission_uuid"]]]["item_id"], a["score_type"])
                        for a in assessments)
        for item_id, item in items.items():
            mine = [s for s in submissions if s["student_item_id"] == item_id]
            scores = sorted((s["created_at"], int(s["id"]), s) for s in package_table(course, "submissions_score", ora=True)
                            if s["student_item_id"] == item_id and s["reset"] == "0")
            expected[(course.course_id, user[item["student_id"]], item["item_id"])] = {
                "submissions": str(len(mine)),
                "points_earned": scores[-1][2]["points_earned"] if scores else "",
                "peer_received": str(received[(item_id, "PE")]), "self_received": str(received[(item_id, "SE")]),
                "staff_received": str(received[(item_id, "ST")]),
                "peer_given": str(given[(item["student_id"], item["item_id"], "PE")]),
                "self_given": str(given[(item["student_id"], item["item_id"], "SE")]),
            }
    assert set(rows) == set(expected) and len(expected) >= 3
    for key, wanted in expected.items():
        assert {c: rows[key][c] for c in wanted} == wanted, key
    assert any(r["self_given"] == "1" for r in rows.values()) and all(r["peer_received"] == "1" for r in rows.values())
