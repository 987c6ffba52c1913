"""The item tables, recomputed from the package's raw courseware_studentmodule rows (csv and json) and the
week's course_axis.csv, with numpy for the statistics: person_item, course_item's difficulty and
discrimination, item_reliability's alpha."""

import json
import re

import numpy as np

from edx_assets_tests.defs.reports.truth import WORLD, package_table
from edx_assets_tests.support import read_rows


def _name(module_id: str) -> str:
    return re.split(r"[@/]", module_id)[-1]  # block-v1:…@name or i4x://…/name


def _truth():
    """course -> {(user, problem, item): grade} from the raw records, and the outline's problems."""
    out = {}
    for course in WORLD.courses:
        grades = {}
        for r in package_table(course, "courseware_studentmodule"):
            if r["module_type"] != "problem":
                continue
            for item, entry in (json.loads(r["state"]).get("correct_map") or {}).items():
                grades[(int(r["student_id"]), r["module_id"], item)] = int(entry.get("correctness") == "correct")
        out[course.cid.v1] = grades
    return out


def _close(a: str, b: float | None) -> bool:
    return (a == "" and b is None) or (a != "" and b is not None and abs(float(a) - b) < 1e-9)


def test_person_item_is_every_item_of_every_problem_record(run):
    rows = read_rows(run["dir"] / "person_item.csv")
    truth = _truth()
    assert sorted((r["course_id"], int(r["user_id"]), r["problem_id"], r["item_id"], int(r["item_grade"]))
                  for r in rows) == sorted((c, u, p, i, g) for c, grades in truth.items()
                                           for (u, p, i), g in grades.items())
    assert len(rows) > 100


def test_course_item_difficulty_discrimination_and_reliability_from_the_raw_records(run):
    axis = {(r["course_id"], r["url_name"]): r for r in read_rows(run["dir"] / "course_axis.csv")
            if r["category"] == "problem"}
    items = {(r["course_id"], r["problem_id"], r["item_id"]): r for r in read_rows(run["dir"] / "course_item.csv")}
    alphas = {(r["course_id"], r["assignment_type"]): r for r in read_rows(run["dir"] / "item_reliability.csv")}
    checked = alphas_checked = 0
    for course_id, grades in _truth().items():
        graded = {(p, i) for (_, p, i) in grades if axis.get((course_id, _name(p)), {}).get("graded") == "1"}
        learners = sorted({u for (u, _, _) in grades})
        total = {u: sum(g for (v, p, i), g in grades.items() if v == u and (p, i) in graded) for u in learners}
        for (p, i) in {(p, i) for (_, p, i) in grades}:
            who = [u for u in learners if (u, p, i) in grades]
            x = np.array([grades[(u, p, i)] for u in who], dtype=float)
            rest = np.array([total[u] - (grades[(u, p, i)] if (p, i) in graded else 0) for u in who], dtype=float)
            corr = None if x.std() == 0 or rest.std() == 0 else float(np.corrcoef(x, rest)[0, 1])
            row = items[(course_id, p, i)]
            assert int(row["learners"]) == len(who)
            assert _close(row["difficulty"], float(x.mean())) and _close(row["discrimination"], corr), (p, i)
            checked += 1
        types = {axis[(course_id, _name(p))]["gformat"] for (p, _) in graded}
        for kind in types - {""}:
            columns = sorted((p, i) for (p, i) in graded if axis[(course_id, _name(p))]["gformat"] == kind)
            who = sorted({u for (u, p, i) in grades if (p, i) in columns})
            matrix = np.array([[grades.get((u, p, i), 0) for (p, i) in columns] for u in who], dtype=float)
            k = len(columns)
            variance = matrix.sum(axis=1).var()
            alpha = None if k < 2 or variance == 0 else k / (k - 1) * (1 - matrix.var(axis=0).sum() / variance)
            row = alphas[(course_id, kind)]
            assert (int(row["items"]), int(row["learners"])) == (k, len(who))
            assert _close(row["alpha"], alpha), (course_id, kind)
            alphas_checked += 1
    assert checked > 20 and alphas_checked >= 2
