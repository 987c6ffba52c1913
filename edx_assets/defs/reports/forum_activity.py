"""forum_activity: each learner's forum participation per course, from the forum dump and the events."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, permanent_failures
from edx_assets.defs.reports import checks
from edx_assets.defs.reports.common import (
    courses_for,
    per_course_table,
    publish_frame,
    week_sunday,
    weekly_report,
)
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx.reports import forum
from edx_assets.edx.reports.learners import enrollment_frame, week_totals


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=["course_collections", "learner_totals"], kinds={"mongodb", "polars", "csv"}, check_specs=[
        checks.spec(ctx, "forum_activity", "posts_reconcile_with_the_forum_dump",
                    "Per course, threads + responses + comments summed == the dump's posts with a numeric author.")])
    def forum_activity(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                       reports: ReportsResource, s3: S3Resource):
        """`forum_activity.csv`: per course and learner with any forum activity (edx2bigquery's forum_person,
        from the `<course>.forum` dump, plus the events): course_id, user_id, username (per EDX_REPORTS_PII),
        threads (CommentThread documents authored), responses (Comment documents on a thread), comments
        (Comment documents under a response: a `parent_id`), votes_cast (posts the learner up- or down-voted),
        votes_received (up-votes on the learner's posts), endorsed (the learner's responses marked endorsed),
        first_post / last_post (created_at, UTC), posts_in_events (threads + responses + comments created in
        the tracking log before the week's Sunday: posts the latest dump may not hold yet) and is_course_team
        (moderators and staff are listed too: the forum is where they work).
        """
        week = context.partition_key
        until = week_sunday(week)
        policy = reports.policy()
        dumped = {}
        with mongo.get_database(secondary_ok=True) as db, permanent_failures():
            courses = courses_for(db, reports)

            def course_rows(course):
                dump = forum.posts(db, course)
                dumped[course.course_id] = dump.filter(pl.col("author").cast(pl.Int64, strict=False).is_not_null()).height
                return forum.activity(course, dump, week_totals(db, course, until, forum.EVENT_COUNTS),
                                      enrollment_frame(db, course, None))

            table = per_course_table(courses, course_rows, forum.COLUMNS)
        result, materialized = publish_frame(week, workspace, reports, s3, "forum_activity", policy.apply_frame(table),
                                             policy.columns(forum.COLUMNS), {"dump_posts": dg.MetadataValue.json(dumped)})
        yield materialized
        frame = checks.read_back(result.path).with_columns(
            (pl.col("threads").cast(pl.Int64) + pl.col("responses").cast(pl.Int64) + pl.col("comments").cast(pl.Int64))
            .alias("posts"))
        posts = dict(frame.group_by("course_id").agg(pl.col("posts").sum()).iter_rows())
        off = {c: (posts.get(c, 0), n) for c, n in dumped.items() if posts.get(c, 0) != n}
        yield dg.AssetCheckResult(check_name="posts_reconcile_with_the_forum_dump", passed=not off,
                                  metadata={"courses_off (csv, dump)": dg.MetadataValue.json(off)})

    return dg.Definitions(assets=[forum_activity])
