"""Where the reports lineage's files live: the one helper for every report file an asset writes and
another reads (person_course.csv for course_summary and geography, course_axis.csv for every table along
the outline, person_item.csv for course_item and item_reliability, every week's file for the warehouse and
the dashboards)."""

from pathlib import Path

import polars as pl

from edx_assets.defs.resources import WorkspaceResource


def week_folder(workspace: WorkspaceResource, week: str) -> Path:
    """The week's report folder (reports/<Sunday>/)."""
    return workspace.reports_dir(week)


def day_folder(workspace: WorkspaceResource, day: str) -> Path:
    """A day's report folder (reports/daily/<day>/), and the partition name its S3 copy goes under."""
    return workspace.reports_dir(daily_partition(day))


def daily_partition(day: str) -> str:
    return f"daily/{day}"


def report_csv(workspace: WorkspaceResource, week: str, table: str) -> Path:
    """The week's `<table>.csv`."""
    return week_folder(workspace, week) / f"{table}.csv"


def week_axis(workspace: WorkspaceResource, week: str) -> pl.DataFrame:
    """The week's course_axis.csv as that asset wrote it, its place columns typed (index, graded, due): the
    outline every per-block table joins to."""
    return pl.read_csv(report_csv(workspace, week, "course_axis"), infer_schema_length=0).with_columns(
        pl.col("index", "graded").cast(pl.Int64), pl.col("due").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False))
