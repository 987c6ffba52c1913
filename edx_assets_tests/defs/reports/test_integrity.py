"""integrity_signals (opt-in; on in this folder's run, at 1 problem), recomputed from the raw event logs read
with the json module: the harvester's first show-answer and the master's first right server check per problem,
and the IP addresses each account used."""

import statistics
from collections import defaultdict

from edx_assets_tests import peers
from edx_assets_tests.defs.reports.truth import EVENTS, course_team_ids
from edx_assets_tests.support import read_rows

SHOW = {"showanswer", "edx.problem.showanswer"}


def _expected() -> dict[tuple[str, int, int], dict]:
    shown, right, ips = defaultdict(dict), defaultdict(dict), defaultdict(set)
    for e in EVENTS:
        if e["user_id"] is not None and e["ip"]:
            ips[e["user_id"]].add(e["ip"])
        if not (e["course"] and e["user_id"] is not None and e["caused"]) or e["user_id"] in course_team_ids(e["course"]):
            continue
        problem = peers.payload(e).get("problem_id")
        key = (e["course"], e["user_id"])
        if e["type"] in SHOW and problem:
            shown[key][problem] = min(shown[key].get(problem, e["time"]), e["time"])
        if e["type"] == "problem_check" and e["source"] == "server" and peers.payload(e).get("success") == "correct":
            right[key][problem] = min(right[key].get(problem, e["time"]), e["time"])
    out = {}
    for (course, master), answers in right.items():
        for (other, harvester), seen in shown.items():
            common = set(answers) & set(seen)
            if other != course or harvester == master or not common:
                continue
            gaps = [(answers[p] - seen[p]).total_seconds() for p in common if seen[p] < answers[p]]
            if gaps and statistics.median(gaps) <= 7 * 24 * 3600:
                out[(course, master, harvester)] = {
                    "common_problems": len(common), "show_ans_before": len(gaps),
                    "median_dt_seconds": statistics.median(gaps), "within_5min": sum(g <= 300 for g in gaps),
                    "shared_ips": len(ips[master] & ips[harvester])}
    return out


def test_integrity_signals_are_the_pairs_the_raw_events_show(run):
    rows = read_rows(run["dir"] / "integrity_signals.csv")
    found = {(r["course_id"], int(r["master_user_id"]), int(r["harvester_user_id"])): r for r in rows}
    expected = _expected()
    assert set(found) == set(expected) and len(expected) >= 3
    for key, wanted in expected.items():
        row = found[key]
        assert {c: int(row[c]) for c in ("common_problems", "show_ans_before", "within_5min", "shared_ips")} == {
            c: wanted[c] for c in ("common_problems", "show_ans_before", "within_5min", "shared_ips")}, key
        assert abs(float(row["median_dt_seconds"]) - wanted["median_dt_seconds"]) < 1e-3, key
    assert not any("." in v and v.count(".") == 3 for r in rows for v in r.values())  # no IP address written
