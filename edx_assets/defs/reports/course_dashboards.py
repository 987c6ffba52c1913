"""course_dashboards: one self-contained HTML page per course and a portfolio page, opening offline."""

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.defs.common import Build, markdown_table, permanent_failures
from edx_assets.defs.reports import paths
from edx_assets.defs.reports.common import week_sunday, weekly_report
from edx_assets.defs.resources import ReportsResource, WorkspaceResource
from edx_assets.edx import dashboards

INPUTS = ["general_report", "person_course", "enrollment_by_demographics_daily", "video_engagement", "video_segments",
          "problem_analysis", "geography", "at_risk_learners", "section_engagement", "course_item", "retention_by_cohort",
          "warehouse"]


def build(ctx: Build) -> dg.Definitions:
    @weekly_report(ctx, deps=INPUTS, kinds={"html", "altair"})
    def course_dashboards(context: dg.AssetExecutionContext, workspace: WorkspaceResource, reports: ReportsResource,
                          s3: S3Resource):
        """`reports/{week}/dashboards/<course>.html`, `dashboards/compare.html` and `dashboards/index.html` (the
        portfolio): pages that open from disk in any browser with no network -- every chart is drawn when the
        page is built (Vega-Altair rendered to inline SVG by vl-convert) and made interactive by the page's
        inline script (Vega-Embed: a tooltip on every mark, selectors, zoom on dates); no external file.
        Per course: headline tiles (registered, viewed, certified, active last week, at risk) and charts of
        cumulative enrollments by mode (a mode selector), weekly active learners (every week whose events were
        loaded: engagement_segments' Parquet files), the funnel registered -> viewed -> explored -> certified,
        the grade distribution against the pass mark, video completion, the drop-off of the most watched
        video, the hardest problems, learners by country, retention by enrollment cohort (retention_by_cohort,
        a cohort selector), the outline view (learners reaching each chapter and sequential in course order,
        and those completing its graded problems: section_engagement) and the 10 hardest and 10 least
        discriminating items (course_item). The comparison: every course's funnel as shares of its registered
        learners, its median video completion, its weekly active learners, and the runs of one course side
        by side. The portfolio: the headline figures side by side, a bar opening its course's page. Every
        chart carries a one-line definition, the data date and its data as a table (for screen readers and
        keyboards); the pages are checked with axe-core (WCAG 2.1 AA). Labels and number format in
        EDX_REPORTS_LANG (`es` default, or `en`). Only aggregates of learners (course team left out unless
        EDX_REPORTS_INCLUDE_COURSE_TEAM, as in the reports): no name, username or e-mail. A chart whose input
        is empty shows "no data yet" instead of an invented one, and a figure no report states (e.g.
        `explored` for courses without chapters) a dash, never 0 and never a failed run. No bar, point or
        tile describes 1 to EDX_MIN_CELL-1 learners (default 5): it is left out (a tile shows "< 5"), and each
        page says how many were.
        """
        week = context.partition_key
        with permanent_failures():
            pages = dashboards.build(paths.week_folder(workspace, week), workspace.reports_root(), reports.lang,
                                     week_sunday(week).isoformat(), reports.min_cell, reports.include_course_team)
        client = s3.get_client() if reports.s3_bucket else None  # one client: building one takes 0.3 s
        for page in pages:
            reports.upload_path(client, page.path, week, "dashboards")
        portfolio = pages[-1]
        yield dg.MaterializeResult(metadata={
            "dagster/row_count": len(pages),
            "portfolio": dg.MetadataValue.path(str(portfolio.path)),
            "pages": dg.MetadataValue.json({p.path.name: {"bytes": p.path.stat().st_size, "charts": p.charts,
                                                          "empty_charts": p.empty, "hidden_figures": p.hidden}
                                     for p in pages}),
            "preview": markdown_table(["page", *portfolio.headline], [[p.path.name, *p.headline.values()]
                                                                     for p in pages if p.course], limit=50),
        })

    return dg.Definitions(assets=[course_dashboards])
