"""ora_activity's assessments on hand-made ora/ rows (no services): given and received by type, a learner who
only assessed others, and a staff scorer who is no learner."""

import polars as pl

from edx_assets.edx.reports import ora


def test_an_assessor_without_a_submission_gets_a_row_and_staff_gets_none():
    item = "block-v1:A+B+C+type@openassessment+block@e1"
    rows = pl.DataFrame({"student_item_id": [1], "student_id": ["anon-ana"], "user_id": [7], "item_id": [item],
                         "submissions": pl.Series([1], dtype=pl.UInt32)})
    submissions = pl.DataFrame({"id": [1], "uuid": ["u1"], "student_item_id": [1]})
    assessments = pl.DataFrame({"submission_uuid": ["u1", "u1", "u1"], "scorer_id": ["anon-bea", "anon-ana", "staff"],
                                "score_type": ["PE", "SE", "ST"]})
    anonymous = pl.DataFrame({"user_id": [7, 8], "anonymous_user_id": ["anon-ana", "anon-bea"]})
    out = {r["student_id"]: r for r in ora._assessments(rows, assessments, submissions, anonymous).to_dicts()}
    assert (out["anon-ana"]["peer_received"], out["anon-ana"]["self_received"], out["anon-ana"]["staff_received"],
            out["anon-ana"]["self_given"], out["anon-ana"]["peer_given"]) == (1, 1, 1, 1, 0)
    # bea assessed ana's essay and submitted nothing: her row, submissions 0, one peer assessment given
    assert (out["anon-bea"]["user_id"], out["anon-bea"]["submissions"], out["anon-bea"]["peer_given"],
            out["anon-bea"]["item_id"]) == (8, 0, 1, item)
    assert out["staff"]["user_id"] is None  # not a learner of the course: _placed leaves such rows out
