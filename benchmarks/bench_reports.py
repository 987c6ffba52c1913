"""Every weekly report over 100k learners across 50 courses: seconds and peak RSS per report.

Usage: python benchmarks/bench_reports.py [--learners 100000] [--courses 50]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import MongoClient

from benchmarks.common import local_stack, measure, save_section, table
from edx_assets.edx import course_load, course_package
from edx_assets.edx.reports import (
    active_users,
    courses,
    engagement,
    enrollments,
    general,
    master,
    person_course,
)
from edx_assets.edx.reports.csv_out import write_csv
from edx_assets.local.sample_package import PackageWriter
from edx_assets.local.sample_world import SampleSpec, SampleWorld

SUNDAY = date(2026, 10, 25)
UNTIL = datetime(2026, 10, 25, tzinfo=UTC)


def load_world(uri: str, db: str, learners: int, n_courses: int, folder: str) -> dict:
    world = SampleWorld(SampleSpec(start=date(2026, 10, 4), end=SUNDAY, learners=learners, courses=n_courses))
    started = time.perf_counter()
    files = PackageWriter(world, SUNDAY).write(Path(folder))
    written = time.perf_counter() - started
    manifest = course_package.Manifest("bench.zip")
    for path in files:
        relative = path.relative_to(folder).as_posix()
        course, table_name, kind = course_package.classify(relative)
        manifest.files.append(course_package.ManifestFile(relative, relative, course, table_name, kind,
                                                          path.stat().st_size))
    started = time.perf_counter()
    course_load.load_package(MongoClient(uri)[db], manifest, Path(folder), SUNDAY, "idbx")
    return {"enrollments": len(world.enrollments), "write_seconds": written,
            "load_seconds": time.perf_counter() - started}


def run_report(uri: str, db_name: str, name: str, out: str) -> int:
    db = MongoClient(uri)[db_name]
    course_list = courses.report_courses(db)
    path = Path(out) / f"{name}.csv"
    if name == "general_report":
        return write_csv(path, general.CSV_COLUMNS, (general.csv_row(s) for s in general.summaries(db, course_list))).rows
    if name == "enrollments_report":
        return write_csv(path, enrollments.COLUMNS, enrollments.enrollment_report_rows(db, course_list)).rows
    if name == "active_users_report":
        rows = (r for c in course_list for r in active_users.active_user_rows(db, c, "Eventos", UNTIL))
        return write_csv(path, active_users.COLUMNS, rows).rows
    if name == "learners_master":
        return write_csv(path, master.COLUMNS, master.master_rows(db, course_list)).rows
    if name == "person_course":
        rows = (r for c in course_list for r in person_course.person_course_rows(db, "Eventos", c, UNTIL))
        return write_csv(path, person_course.COLUMNS, rows).rows
    if name == "problem_analysis":
        rows = (r for c in course_list for r in engagement.problem_rows(db, "Eventos", c, UNTIL))
        return write_csv(path, engagement.PROBLEM_COLUMNS, rows).rows
    raise ValueError(name)


REPORTS = ["general_report", "enrollments_report", "active_users_report", "learners_master", "person_course",
           "problem_analysis"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=50)
    args = parser.parse_args()
    with local_stack() as (stack, tmp):
        (tmp / "package").mkdir()
        (tmp / "out").mkdir()
        loaded = measure(load_world, stack.mongo_uri, "bench", args.learners, args.courses, str(tmp / "package"))
        print(f"package written and loaded: {loaded['value']}", flush=True)
        results = [(name, measure(run_report, stack.mongo_uri, "bench", name, str(tmp / "out"))) for name in REPORTS]
    rows = [[name, f"{r['value']:,}", f"{r['seconds']:.1f}", f"{r['peak_rss_mb']:.0f}"] for name, r in results]
    total = sum(r["seconds"] for _, r in results)
    text = "\n".join([
        f"{args.learners:,} learners, {args.courses} courses, {loaded['value']['enrollments']:,} enrollments "
        f"(package loaded in {loaded['value']['load_seconds']:.0f} s); reports computed with MongoDB aggregations "
        "($lookup on indexed join keys), streamed to CSV.", "",
        table(["report", "rows", "seconds", "peak RSS MB"], rows), "",
        f"- all reports: **{total:.0f} s** (target: minutes, not hours)",
    ])
    print(text)
    save_section("Reports: 100k learners across 50 courses", text)


if __name__ == "__main__":
    main()
