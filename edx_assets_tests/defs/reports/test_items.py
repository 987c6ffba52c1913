"""The item tables, recomputed from the package's raw courseware_studentmodule rows (csv and json), the raw
event logs (json) and the week's course_axis.csv, with numpy for the statistics: person_item (last and
first grades, weights), course_item's difficulty and discrimination, item_reliability's alpha."""

import json
import re
from collections import defaultdict

import numpy as np

from edx_assets_tests.defs.reports.truth import EVENTS, WORLD, package_table
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


def test_person_item_first_grade_from_the_raw_events_and_weight_from_the_outline(run):
    first = {}  # (course, user, problem name, part) -> the first server check's grade of the part
    checks = [e for e in EVENTS if e["type"] == "problem_check" and e["source"] == "server"]
    for e in sorted(checks, key=lambda e: e["time"]):
        for part, entry in (e["event"].get("correct_map") or {}).items():
            first.setdefault((e["course"], e["user_id"], _name(e["event"]["problem_id"]), part),
                             int(entry["correctness"] == "correct"))
    graded = defaultdict(dict)  # course -> problem name -> (assignment, gformat, weight, type weight)
    for r in read_rows(run["dir"] / "course_axis.csv"):
        if r["category"] == "problem" and r["gformat"] and r["graded"] == "1":
            graded[r["course_id"]][r["url_name"]] = ("/".join(r["path"].split("/")[:3]), r["gformat"],
                                                     float(r["problem_weight"] or 1), r["assignment_type_weight"])
    rows = read_rows(run["dir"] / "person_item.csv")
    items_of = defaultdict(set)
    for r in rows:
        items_of[(r["course_id"], _name(r["problem_id"]))].add(r["item_id"])
    with_first = weighted = 0
    for r in rows:
        expected = first.get((r["course_id"], int(r["user_id"]), _name(r["problem_id"]), r["item_id"]))
        assert r["first_item_grade"] == ("" if expected is None else str(expected)), r
        with_first += expected is not None
        problems = graded[r["course_id"]]
        place = problems.get(_name(r["problem_id"]))
        if place is None or not place[3]:
            assert r["item_weight"] == "", r
            continue
        assignment, kind, weight, type_weight = place
        in_assignment = sum(w for a, _, w, _ in problems.values() if a == assignment)
        assignments = len({a for a, k, _, _ in problems.values() if k == kind})
        n_items = len(items_of[(r["course_id"], _name(r["problem_id"]))])
        assert _close(r["item_weight"], weight * float(type_weight) / n_items / in_assignment / assignments), r
        weighted += 1
    # first answers seen in the week's logs, and records older than the logs (no first answer)
    assert with_first > 20 and any(r["first_item_grade"] == "" for r in rows) and weighted > 20


def test_course_item_share_shown_the_answer_first_from_the_raw_events(run):
    firsts = {}  # (course, user, problem name) -> [first show-answer, first right server check]
    for e in sorted(EVENTS, key=lambda e: e["time"]):
        right = e["type"] == "problem_check" and e["source"] == "server"
        if not (right or e["type"] in ("showanswer", "edx.problem.showanswer")) or not isinstance(e["event"], dict):
            continue
        times = firsts.setdefault((e["course"], e["user_id"], _name(e["event"]["problem_id"])), [None, None])
        if not right and times[0] is None:
            times[0] = e["time"]
        if right and e["event"].get("success") == "correct" and times[1] is None:
            times[1] = e["time"]
    learners = defaultdict(set)
    for r in read_rows(run["dir"] / "person_item.csv"):
        learners[(r["course_id"], r["problem_id"], r["item_id"])].add(int(r["user_id"]))
    figures = 0
    for row in read_rows(run["dir"] / "course_item.csv"):
        if row["learners"] == "0":
            assert row["share_answer_shown_first"] == ""
            continue
        seen = [firsts[k] for u in learners[(row["course_id"], row["problem_id"], row["item_id"])]
                if (k := (row["course_id"], u, _name(row["problem_id"]))) in firsts]
        shown = [s is not None and (r is None or s < r) for s, r in seen]
        assert _close(row["share_answer_shown_first"], sum(shown) / len(shown) if shown else None), row
        figures += bool(shown) and 0 < sum(shown) < len(shown)
    assert figures > 3  # shares strictly between 0 and 1: both orders occur
