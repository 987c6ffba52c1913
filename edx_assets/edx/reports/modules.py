"""Time on each module of the course and engagement along the outline: `time_on_asset` and
`section_engagement`.

time_on_asset (edx2bigquery's and simeon's `time_on_asset_daily`/`time_on_asset_totals`, make_time_on_asset.py,
time_on_asset_daily.sql): per learner and module, the sum of the gaps between the learner's consecutive events
in that module under 5 and 30 minutes (`time_umid5`, `time_umid30`). The per-day figures are learner_day's
`module_time` (where the module of each event is decided, see learner_day.DEFINITIONS); this table is their
sum over every day before the week's Sunday (learner_totals), placed on the course axis by the block's name.
The peers keep one row per day; the days stay in learner_day, and a learner's total per module is what
their `time_on_asset_totals` and a course team read. A module the axis does not hold keeps its row with
empty outline columns (never dropped).

section_engagement: per chapter and sequential of the outline, in axis order, the learners who reached it
(any event in it or in a block below it: a page of the sequential, a video, a problem), their time on asset
there (sum over the section's modules) and the completion of its graded problems: learners who reached it
with a graded score on every graded problem of it in the package's courseware records. The peers' section
views (aspects-dbt `fact_problem_engagement`: "All problems attempted" when a learner's distinct problems
evaluated equal the subsection's problems; ol-data-platform `engagement_problem_completion_summary`: problems
attempted per sequential and chapter) count attempts from events; this reads the package's records, which
also hold what the app submitted, and counts graded problems only (completion of what the grade uses).
Neither peer sums time per section; this is time on asset summed over the section's blocks. In axis order,
it is the "where do learners drop out of the outline" view.
"""

from __future__ import annotations

import polars as pl

from edx_assets.edx.reports import frames

TIME_ON_ASSET_COLUMNS = ["course_id", "user_id", "module_id", "url_name", "category", "index", "chapter_name",
                         "sequential_name", "vertical_name", "nevents", "time_umid5", "time_umid30"]
SECTION_COLUMNS = ["course_id", "index", "level", "module_id", "chapter_name", "sequential_name", "learners_reached",
                   "time_umid5", "time_umid30", "median_time_umid30", "graded_problems", "learners_completed",
                   "share_completed"]
# What section_engagement reads of the courseware problem records (not the state: no attempts are needed).
RECORDS = {"student_id": frames.INT, "module_id": frames.TEXT, "grade": frames.FLOAT}
_PLACE = ["url_name", "module_id", "category", "index", "chapter_name", "sequential_name", "vertical_name"]


def read_time_on_asset(path) -> pl.DataFrame:
    """A week's time_on_asset.csv, typed (what section_engagement and ora_activity read)."""
    return pl.read_csv(path, infer_schema_length=None, schema_overrides={
        "user_id": pl.Int64, "url_name": pl.String, "nevents": pl.Int64, "time_umid5": pl.Float64,
        "time_umid30": pl.Float64})


def _sections_of(axis: pl.DataFrame) -> pl.DataFrame:
    """Each block's name with its chapter's and sequential's names (the first two steps of its axis path)."""
    steps = pl.col("path").str.strip_prefix("/").str.split("/")
    return axis.filter(pl.col("in_outline").cast(pl.Int64) == 1).select(
        "url_name", steps.list.get(0, null_on_oob=True).alias("chapter"),
        steps.list.get(1, null_on_oob=True).alias("sequential"))


def time_on_asset_frame(course_id: str, totals: pl.DataFrame, axis: pl.DataFrame) -> pl.DataFrame:
    """TIME_ON_ASSET_COLUMNS for one course: `totals` (user_id, module_time) of its learners, `axis` its
    course_axis rows (the outline's first row of a block name wins: a name is one block)."""
    modules = frames.nested_rows(totals, "module_time")
    if modules.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in TIME_ON_ASSET_COLUMNS})
    place = axis.select(_PLACE).unique("url_name", keep="first")
    return (modules.rename({"module": "url_name", "time_5": "time_umid5", "time_30": "time_umid30"})
            .join(place, on="url_name", how="left")
            .with_columns(pl.lit(course_id).alias("course_id"))
            .sort(["user_id", "index", "url_name"], nulls_last=True)
            .select(TIME_ON_ASSET_COLUMNS))


def section_engagement_frame(course_id: str, time_on_asset: pl.DataFrame, axis: pl.DataFrame,
                             records: pl.DataFrame) -> pl.DataFrame:
    """SECTION_COLUMNS for one course: `time_on_asset` its rows of that table, `axis` its course_axis rows,
    `records` its courseware problem records (student_id, url_name, grade)."""
    sections = axis.filter(pl.col("category").is_in(["chapter", "sequential"])
                           & (pl.col("in_outline").cast(pl.Int64) == 1)).select(
        "index", pl.col("category").alias("level"), "module_id", "url_name", "chapter_name", "sequential_name")
    if sections.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in SECTION_COLUMNS})
    placed = _sections_of(axis)
    # every (learner, module) row under each section it belongs to: its chapter, and its sequential
    visits = time_on_asset.select("user_id", "url_name", "time_umid5", "time_umid30").join(placed, on="url_name")
    under = pl.concat([visits.select("user_id", pl.col(level).alias("section"), "time_umid5", "time_umid30")
                       for level in ("chapter", "sequential")]).drop_nulls("section")
    per_learner = under.group_by("section", "user_id").agg(pl.col("time_umid5").sum(), pl.col("time_umid30").sum())
    reached = per_learner.group_by("section").agg(
        pl.len().alias("learners_reached"), pl.col("time_umid5").sum().round(3),
        pl.col("time_umid30").sum().round(3), pl.col("time_umid30").median().round(3).alias("median_time_umid30"))

    graded = axis.filter((pl.col("category") == "problem") & (pl.col("graded").cast(pl.Int64) == 1)).select(
        "url_name").join(placed, on="url_name")
    graded_in = pl.concat([graded.select("url_name", pl.col(level).alias("section"))
                           for level in ("chapter", "sequential")]).drop_nulls("section").unique()
    counts = graded_in.group_by("section").agg(pl.len().alias("graded_problems"))
    scored = records.filter(pl.col("grade").is_not_null()).select(pl.col("student_id").alias("user_id"),
                                                                   "url_name").unique()
    done = (per_learner.select("section", "user_id")
            .join(graded_in.join(scored, on="url_name"), on=["section", "user_id"])
            .group_by("section", "user_id").agg(pl.col("url_name").n_unique().alias("scored"))
            .join(counts, on="section").filter(pl.col("scored") == pl.col("graded_problems"))
            .group_by("section").agg(pl.len().alias("learners_completed")))
    return (sections.join(reached, left_on="url_name", right_on="section", how="left")
            .join(counts, left_on="url_name", right_on="section", how="left")
            .join(done, left_on="url_name", right_on="section", how="left")
            .with_columns(pl.lit(course_id).alias("course_id"),
                          pl.col("learners_reached").fill_null(0), pl.col("graded_problems").fill_null(0),
                          pl.col("time_umid5").fill_null(0.0), pl.col("time_umid30").fill_null(0.0))
            .with_columns(pl.when(pl.col("graded_problems") > 0)
                          .then(pl.col("learners_completed").fill_null(0)).alias("learners_completed"))
            .with_columns(pl.when(pl.col("learners_reached") > 0)
                          .then(pl.col("learners_completed") / pl.col("learners_reached"))
                          .alias("share_completed"))
            .sort("index").select(SECTION_COLUMNS))
