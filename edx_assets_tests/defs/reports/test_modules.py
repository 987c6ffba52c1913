"""time_on_asset and section_engagement, recomputed from the raw event logs (json), the package's raw
courseware records and the week's course_axis.csv (the block's chapter and sequential, from its path)."""

import itertools
from collections import defaultdict

from edx_assets_tests.defs.reports.truth import EVENTS, WORLD, course_team_ids, package_table
from edx_assets_tests.support import read_rows


def _expected_time_on_asset() -> dict[tuple[str, int, str], tuple[int, float, float]]:
    """(course, user, module) -> events, and gaps under 5 / 30 minutes within the module, day by day."""
    chains = defaultdict(list)
    for e in EVENTS:  # file order: the tie-break of equal times
        if e["course"] and e["user_id"] is not None and e["caused"] and e["module"]:
            chains[(e["file_day"], e["course"], e["user_id"], e["module"])].append(e["time"])
    out = defaultdict(lambda: [0, 0.0, 0.0])
    for (_, course, user, module), times in chains.items():
        if user in course_team_ids(course):
            continue
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(sorted(times))]
        row = out[(course, user, module)]
        row[0] += len(times)
        row[1] += sum(g for g in gaps if g < 300)
        row[2] += sum(g for g in gaps if g < 1800)
    return {k: tuple(v) for k, v in out.items()}


def test_time_on_asset_is_each_learners_time_in_each_module_including_one_seen_only_on_mobile(run):
    rows = read_rows(run["dir"] / "time_on_asset.csv")
    found = {(r["course_id"], int(r["user_id"]), r["url_name"]): (int(r["nevents"]), float(r["time_umid5"]),
                                                                    float(r["time_umid30"])) for r in rows}
    expected = _expected_time_on_asset()
    assert set(found) == set(expected)
    for key, (n, t5, t30) in expected.items():
        assert found[key][0] == n and abs(found[key][1] - t5) < 1e-3 and abs(found[key][2] - t30) < 1e-3, key
    assert sum(t30 for _, _, t30 in expected.values()) > 0
    # a module some learner reached only through the mobile app: it is there, with its events
    mobile = defaultdict(set)
    for e in EVENTS:
        if e["course"] and e["user_id"] is not None and e["module"]:
            mobile[(e["course"], e["user_id"], e["module"])].add(e["source"] == "mobile")
    only_mobile = [k for k, kinds in mobile.items() if kinds == {True} and k in expected]
    assert only_mobile and all(found[k][0] == expected[k][0] for k in only_mobile)


def test_section_engagement_follows_the_outline_with_reach_time_and_completion(run):
    axis = read_rows(run["dir"] / "course_axis.csv")
    visits = read_rows(run["dir"] / "time_on_asset.csv")
    sections = {(r["course_id"], r["module_id"]): r for r in read_rows(run["dir"] / "section_engagement.csv")}
    checked = 0
    for course in WORLD.courses:
        cid = course.cid.v1
        mine = [r for r in axis if r["course_id"] == cid and r["in_outline"] == "1"]
        place = {r["url_name"]: [p for p in r["path"].strip("/").split("/")[:2] if p] for r in mine}
        scored = {(int(r["student_id"]), r["module_id"].replace("@", "/").rsplit("/", 1)[-1])
                  for r in package_table(course, "courseware_studentmodule")
                  if r["module_type"] == "problem" and r["grade"] not in ("", "NULL", None)}
        outline = [r for r in mine if r["category"] in ("chapter", "sequential")]
        assert [sections[(cid, r["module_id"])]["index"] for r in outline] == [r["index"] for r in outline]
        for section in outline:
            name = section["url_name"]
            reached = defaultdict(float)
            for v in visits:
                if v["course_id"] == cid and name in place.get(v["url_name"], []):
                    reached[int(v["user_id"])] += float(v["time_umid30"])
            graded = {r["url_name"] for r in mine if r["category"] == "problem" and r["graded"] == "1"
                      and name in place[r["url_name"]]}
            completed = [u for u in reached if graded and all((u, g) in scored for g in graded)]
            row = sections[(cid, section["module_id"])]
            assert int(row["learners_reached"]) == len(reached), name
            assert abs(float(row["time_umid30"]) - sum(reached.values())) < 1e-2, name
            assert int(row["graded_problems"]) == len(graded), name
            assert row["learners_completed"] == (str(len(completed)) if graded else ""), name
            checked += 1
    assert checked >= 6
    assert any(int(r["learners_completed"] or 0) > 0 for r in sections.values())
    assert any(int(r["learners_reached"]) > 0 for r in sections.values())
