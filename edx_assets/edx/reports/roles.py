"""Course roles: who is on the course team, from `<course>.roles` (student_courseaccessrole and
django_comment_client_role_users) and auth_user.is_staff.

edx2bigquery's `make_roles.py` (the `roles` table joined into person_course) is the definition followed:
a user with any course access role (instructor, staff, beta_testers, ccx_coach, finance_admin, ...) or any
forum role other than Student (Administrator, Moderator, Community TA, Group Moderator) is `Staff`, every
other user `Student`; edX staff (auth_user.is_staff) count as course team too. The per-course aggregates
leave the course team out unless EDX_REPORTS_INCLUDE_COURSE_TEAM is set: beta testers and community TAs
go through the course before or beside the learners, and would count as learners otherwise.
"""

from __future__ import annotations

import polars as pl
from pymongo.database import Database

from edx_assets.edx.layout import ROLES_SUFFIX
from edx_assets.edx.reports import frames
from edx_assets.edx.reports.courses import ReportCourse

ROLES = {"user_id": frames.INT, "source": frames.TEXT, "role": frames.TEXT}
FORUM_MODERATION = ["Administrator", "Moderator", "Community TA", "Group Moderator"]
# Appended to every learner-level file (columns.py defines them).
COLUMNS = ["roles", "role_instructor", "role_staff", "role_beta_tester", "role_forum_moderator", "is_course_team"]
FLAGS = {
    "role_instructor": (pl.col("source") == "course") & (pl.col("role") == "instructor"),
    "role_staff": (pl.col("source") == "course") & (pl.col("role") == "staff"),
    "role_beta_tester": (pl.col("source") == "course") & (pl.col("role") == "beta_testers"),
    "role_forum_moderator": (pl.col("source") == "forum") & pl.col("role").is_in(FORUM_MODERATION),
}
EMPTY = pl.DataFrame(schema={"user_id": pl.Int64, "roles": pl.String, **{f: pl.Int64 for f in FLAGS},
                             "has_team_role": pl.Boolean})


def roles_frame(db: Database, course: ReportCourse) -> pl.DataFrame:
    """Per user with a role in the course: roles (sorted, `;`-joined, forum Student left out), the four
    role flags (0/1) and has_team_role (any role but forum Student)."""
    rows = frames.read(db, course.collection(ROLES_SUFFIX), ROLES).drop_nulls("user_id")
    if rows.height == 0:
        return EMPTY
    team = ~((pl.col("source") == "forum") & (pl.col("role") == "Student"))
    return rows.group_by("user_id").agg(
        pl.col("role").filter(team).unique().sort().str.join(";").alias("roles"),
        *[expr.any().cast(pl.Int64).alias(name) for name, expr in FLAGS.items()],
        team.any().alias("has_team_role"),
    ).with_columns(pl.when(pl.col("roles") != "").then(pl.col("roles")).alias("roles")).select(EMPTY.columns)


def with_roles(enrolled: pl.DataFrame, roles: pl.DataFrame) -> pl.DataFrame:
    """The learner rows with the role columns; is_course_team also counts edX staff (is_staff)."""
    joined = enrolled.join(roles, on="user_id", how="left")
    return joined.with_columns(
        *[pl.col(f).fill_null(0) for f in FLAGS],
        (pl.col("has_team_role").fill_null(False) | pl.col("is_staff").fill_null(False)).cast(pl.Int64)
        .alias("is_course_team"),
    ).drop("has_team_role")


def team_ids(db: Database, course: ReportCourse) -> pl.Series:
    """User ids of the course team (roles, or edX staff among the course's users)."""
    users = frames.read(db, course.collection("users"), {"id": frames.INT, "is_staff": frames.INT})
    staff = users.filter(pl.col("is_staff").fill_null(0) != 0).get_column("id")
    roles = roles_frame(db, course).filter(pl.col("has_team_role")).get_column("user_id")
    return pl.concat([staff, roles]).unique().sort().alias("user_id")


def learners_only(frame: pl.DataFrame, team: pl.Series | None) -> pl.DataFrame:
    """`frame` without the course team's rows; `team` None keeps everyone (EDX_REPORTS_INCLUDE_COURSE_TEAM)."""
    return frame if team is None else frame.filter(~pl.col("user_id").is_in(team.implode()))


def counted(frame: pl.DataFrame, include_team: bool) -> pl.DataFrame:
    """The rows every per-course aggregate counts (EDX_REPORTS_INCLUDE_COURSE_TEAM, the one switch): learners
    only (`is_course_team` 0, as a number or as CSV text), or every row when `include_team`."""
    if include_team:
        return frame
    return frame.filter(pl.col("is_course_team").cast(pl.Int64, strict=False).fill_null(0) == 0)
