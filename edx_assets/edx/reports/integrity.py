"""integrity_signals: pairs of accounts whose answers suggest one harvests answers for the other.

Signals, not verdicts: a pair listed here is a reason for a person to look, never a finding. Opt-in
(EDX_INTEGRITY_SIGNALS), off by default; user ids only, no IP address written; the file stays on the platform
(no S3 copy, not in the warehouse).

Definition (edx2bigquery, make_problem_analysis.py, `compute_show_ans_before`, the pair features behind its
CAMEO tables `stats_show_ans_before` / `stats_ip_pair_sybils*`; Northcutt, Ho and Chuang 2016):
- harvester candidates: learners shown the answer of at least N distinct problems (`nshow_ans_distinct >= 10`);
  master candidates: learners with a right answer to at least N problems (`ncorrect >= 10`); N =
  EDX_INTEGRITY_MIN_PROBLEMS (10, edx2bigquery's);
- per pair (master != harvester, same course) and problem both touched: the harvester's show-answer time and
  the master's first right check; `show_ans_before` = problems where the show-answer came first, `dt` = the
  seconds between them; kept when show_ans_before >= N and the median dt <= 7 days (edx2bigquery's `HAVING
  show_ans_before >= 10 AND median_max_dt_seconds <= 60*60*24*7`);
- `within_5min` counts those problems answered within 5 minutes (edx2bigquery's x05m), `shared_ips` the IP
  addresses both accounts used (learner_ips, their whole history; edx2bigquery's v1 groups accounts by their
  modal IP, v3 by IPs in common).
Differs: the show-answer is the harvester's first for the problem (what learner_totals keeps), where
edx2bigquery takes the latest before the master's answer, so dt here can only be longer (a stricter signal);
certification is not a filter (edx2bigquery's default, `force_online`); no ranking by cheating likelihood.
"""

from __future__ import annotations

import polars as pl

COLUMNS = ["course_id", "master_user_id", "harvester_user_id", "common_problems", "show_ans_before",
           "median_dt_seconds", "within_5min", "shared_ips"]
WEEK_SECONDS = 7 * 24 * 3600


def pairs(course_id: str, details: pl.DataFrame, ips: pl.DataFrame, min_problems: int) -> pl.DataFrame:
    """COLUMNS for one course: `details` (user_id, problem, first_show_answer, first_right) its learners'
    problem_detail rows, `ips` (user_id, ip) every learner's IPs."""
    shows = details.filter(pl.col("first_show_answer").is_not_null()).select(
        pl.col("user_id").alias("harvester_user_id"), "problem", "first_show_answer")
    rights = details.filter(pl.col("first_right").is_not_null()).select(
        pl.col("user_id").alias("master_user_id"), "problem", "first_right")
    shows = shows.filter(pl.col("problem").n_unique().over("harvester_user_id") >= min_problems)
    rights = rights.filter(pl.col("problem").n_unique().over("master_user_id") >= min_problems)
    both = rights.join(shows, on="problem").filter(pl.col("master_user_id") != pl.col("harvester_user_id"))
    dt = (pl.col("first_right") - pl.col("first_show_answer")).dt.total_milliseconds() / 1000
    before = pl.col("first_show_answer") < pl.col("first_right")
    found = both.group_by("master_user_id", "harvester_user_id").agg(
        pl.len().alias("common_problems"), before.sum().alias("show_ans_before"),
        dt.filter(before).median().alias("median_dt_seconds"),
        (before & (dt <= 300)).sum().alias("within_5min"),
    ).filter((pl.col("show_ans_before") >= min_problems) & (pl.col("median_dt_seconds") <= WEEK_SECONDS))
    used = ips.select("user_id", "ip").unique()
    shared = (found.select("master_user_id", "harvester_user_id")
              .join(used.rename({"user_id": "master_user_id"}), on="master_user_id")
              .join(used.rename({"user_id": "harvester_user_id"}), on=["harvester_user_id", "ip"])
              .group_by("master_user_id", "harvester_user_id").agg(pl.len().alias("shared_ips")))
    return (found.join(shared, on=["master_user_id", "harvester_user_id"], how="left")
            .with_columns(pl.col("shared_ips").fill_null(0), pl.lit(course_id).alias("course_id"))
            .sort(["show_ans_before", "master_user_id", "harvester_user_id"], descending=[True, False, False])
            .select(COLUMNS))
