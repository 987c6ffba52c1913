"""instructor_bundles: per course, its dashboard page and its rows of every report file, in its own folder."""

import dagster as dg
import polars as pl
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, markdown_table, permanent_failures
from edx_assets.defs.reports import checks, paths
from edx_assets.defs.reports.common import courses_for, weekly_report
from edx_assets.defs.reports.warehouse import REPORT_ASSETS
from edx_assets.defs.resources import MongoResource, ReportsResource, WorkspaceResource
from edx_assets.edx import bundles, dashboards
from edx_assets.edx.warehouse import table_of

ONLY_THEIR_COURSE = "only_their_course"


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=[*REPORT_ASSETS, "course_dashboards"], kinds={"csv", "html"}, check_specs=[
        checks.spec(ctx, "instructor_bundles", ONLY_THEIR_COURSE,
                    "Every row of every bundled file, read back, is of the bundle's course; every course of the "
                    "catalog has its bundle.")])
    def instructor_bundles(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                           reports: ReportsResource, s3: S3Resource):
        """`reports/{week}/courses/<course>/`: what a course team can be given, and nothing of another course --
        its dashboard page (course_dashboards) and, of every report file of the week with a course column
        (`course_id`; general_report's `id`, enrollments_report's `mooc_id`), its own rows, header and bytes as
        the report wrote them. Not bundled: learner_locations (one row per learner across courses) and
        integrity_signals (stays on the platform). Personal data is what the report files hold (per
        EDX_REPORTS_PII). With EDX_REPORTS_BUCKET each bundle is copied to its own prefix,
        `.../{week}/courses/<course>/`, with what may leave the platform (cells of 1 to EDX_MIN_CELL-1 learners
        emptied, as every copy). Rebuilt whole each time: a file no longer produced leaves the bundle.
        """
        week = context.partition_key
        folder = paths.week_folder(workspace, week)
        with mongo.get_database(secondary_ok=True) as db:
            ids = [c.course_id for c in courses_for(db, reports)]
        names = {cid: dashboards.slug(cid) for cid in ids}
        with permanent_failures():
            made = bundles.build(folder, names, {cid: folder / "dashboards" / f"{s}.html" for cid, s in names.items()})
        client = s3.get_client() if reports.s3_bucket else None  # one client: building one takes 0.3 s
        for bundle in made:
            for path in sorted(bundle.folder.iterdir()):
                reports.upload_path(client, path, week, f"{bundles.FOLDER}/{bundle.folder.name}")
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": sum(sum(b.files.values()) for b in made),
            "folder": dg.MetadataValue.path(str(folder / bundles.FOLDER)),
            "preview": markdown_table(["course", "files", "rows", "page"],
                                      [[b.course_id, len(b.files), sum(b.files.values()),
                                        b.page.name if b.page else ""] for b in made], limit=50),
        })
        foreign = {}
        for bundle in made:
            for name in bundle.files:
                frame = checks.read_back(bundle.folder / name)
                column = bundles.course_column(table_of(name) or "", frame.columns)
                others = frame.filter(pl.col(column) != bundle.course_id).height if column and frame.height else 0
                if others:
                    foreign[f"{bundle.folder.name}/{name}"] = others
        missing = sorted(set(ids) - {b.course_id for b in made if b.page is not None})
        yield dg.AssetCheckResult(check_name=ONLY_THEIR_COURSE, passed=not foreign and not missing,
                                  metadata={"rows_of_another_course": dg.MetadataValue.json(foreign),
                                            "courses_without_a_page": dg.MetadataValue.json(missing)})

    return dg.Definitions(assets=[instructor_bundles])
