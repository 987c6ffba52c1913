"""What groups a learner belongs to in a course: cohort, A/B partition groups, team, and the e-mail opt-in,
from the package's course_groups_cohortmembership, user_api_usercoursetag, teams / teams_membership and the
org's email_opt_in file (edx2bigquery's person_course carries the cohort the same way: `cohort_name`)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
from pymongo.database import Database

from edx_assets.edx.reports import frames
from edx_assets.edx.reports.activity import MODE_CHANGED
from edx_assets.edx.reports.courses import ReportCourse

COLUMNS = ["cohort", "partition_groups", "team", "email_opt_in"]
PARTITION_KEY = "xblock.partition_service.partition_"
EMAIL_OPT_IN = "email_opt_in"


def _joined(frame: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """Per user, the distinct values of `column`, sorted and `;`-joined."""
    return frame.drop_nulls(column).group_by("user_id").agg(
        pl.col(column).unique().sort().str.join(";").alias(alias))


def partition_names(db: Database, course: ReportCourse) -> dict[int, tuple[str, dict[int, str]]]:
    """partition id -> (name, group id -> name) from the course block's `user_partitions`."""
    block = db[course.collection("structure")].find_one({"category": "course"}, {"metadata.user_partitions": 1})
    out = {}
    for p in ((block or {}).get("metadata") or {}).get("user_partitions") or []:
        if isinstance(p, dict) and isinstance(p.get("id"), int):
            out[p["id"]] = (str(p.get("name") or p["id"]), {g["id"]: str(g.get("name") or g["id"])
                                                           for g in p.get("groups") or [] if isinstance(g, dict)})
    return out


def memberships(db: Database, course: ReportCourse) -> pl.DataFrame:
    """Per user of the course: cohort (the cohort's name), partition_groups (`<partition>: <group>` of each A/B
    test, names from the course's user_partitions, else `partition_<id>: <group id>`; `;`-joined), team (the
    team's name) and email_opt_in (1/0, the org file's row for this course)."""
    cohorts = _joined(frames.read(db, course.collection("cohorts"), {"user_id": frames.INT, "name": frames.TEXT}),
                      "name", "cohort")
    names = partition_names(db, course)
    tags = frames.read(db, course.collection("user_tags"), {"user_id": frames.INT, "key": frames.TEXT,
                                                             "value": frames.TEXT})
    tags = tags.filter(pl.col("key").str.starts_with(PARTITION_KEY)).with_columns(
        pl.col("key").str.strip_prefix(PARTITION_KEY).cast(pl.Int64, strict=False).alias("partition"),
        pl.col("value").cast(pl.Int64, strict=False).alias("group"))
    labels = [f"{names[p][0]}: {names[p][1].get(g, g)}" if p in names else f"partition_{p}: {g if g is not None else v}"
              for p, g, v in tags.select("partition", "group", "value").iter_rows()]
    groups = _joined(tags.with_columns(pl.Series("label", labels, dtype=pl.String)), "label", "partition_groups")
    members = frames.read(db, course.collection("team_members"), {"user_id": frames.INT, "team_id": frames.INT})
    teams = frames.read(db, course.collection("teams"), {"id": frames.INT, "name": frames.TEXT})
    team = _joined(members.join(teams, left_on="team_id", right_on="id", how="left"), "name", "team")
    opted = frames.first_per(frames.read(
        db, EMAIL_OPT_IN, {"user_id": frames.INT, "is_opted_in_for_email": pa.bool_()},
        {"course_id": {"$in": [c for c in (course.course_id, course.legacy_id) if c]}}).drop_nulls("user_id"),
        "user_id").select("user_id", pl.col("is_opted_in_for_email").cast(pl.Int64).alias("email_opt_in"))
    out = pl.DataFrame(schema={"user_id": pl.Int64})
    for part in (cohorts, groups, team, opted):
        out = out.join(part, on="user_id", how="full", coalesce=True)
    return out.select("user_id", *COLUMNS)


def verified_upgrades(events: pl.DataFrame) -> pl.DataFrame:
    """(course_id, user_id, verified_upgrade_at): the first mode change into `verified` of each learner, from
    activity.enrollment_events (edx-analytics-pipeline's enrollment mode changes)."""
    return (events.filter((pl.col("type") == MODE_CHANGED) & (pl.col("mode") == "verified"))
            .group_by("course_id", "user_id").agg(pl.col("time").min().alias("verified_upgrade_at")))


def upgrades_of(upgrades: pl.DataFrame, course: ReportCourse) -> pl.DataFrame:
    return upgrades.filter(pl.col("course_id") == course.course_id).select("user_id", "verified_upgrade_at")


def no_upgrades() -> pl.DataFrame:
    return pl.DataFrame(schema={"course_id": pl.String, "user_id": pl.Int64, "verified_upgrade_at": pl.Datetime("ms")})

