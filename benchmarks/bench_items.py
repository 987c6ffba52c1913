"""The assessment tables (person_item, course_item, item_reliability, time_on_asset, section_engagement) over
100k learners x 50 courses x 200 graded problems per course, after 1 and after 8 weeks of activity, against
the I/O floor (reading the same inputs into polars), in one run on one machine.

Setup (not timed; synthetic, written straight to MongoDB): per course an outline of 10 chapters x 2
sequentials x 10 units, one graded problem each (200; Homework and Exam sequentials in turn), its course_axis
(the domain's axis_frame), the enrollments (learners spread over the courses), the package's courseware
records (each enrollment has opened each problem with probability 0.15, a correct_map of one item, graded)
and `learner_totals` of three weeks (answer_detail, problem_detail and module_time of the problems a learner
touched by then): week 1 (an eighth of them), week 1 holding every problem of week 8 (the state of week 8
after a history of one week: what tells the cost of a longer history from the cost of a larger state) and
week 8 (all of them, over 8 weeks); the same package every time, as in bench_reports.py.

Timed, each in a fresh process (seconds and peak RSS): every table as its asset computes it (the domain
functions, CSV written by polars); per table, the I/O floor: its inputs (course collections, learner_totals
columns, the upstream CSV files) read into polars, nothing computed.

Usage: python benchmarks/bench_items.py [--learners 100000] [--courses 50] [--no-save]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import polars as pl
from pymongo import MongoClient

from benchmarks.common import local_stack, measure, save_section, table
from edx_assets.edx import learner_totals
from edx_assets.edx.reports import course_axis, frames, items, modules, problems
from edx_assets.edx.reports.courses import report_courses
from edx_assets.edx.reports.csv_out import write_frame

# The three states the tables are measured after: week 1 (the problems learners touched in the first week,
# an eighth), week 1 holding all of week 8's activity (the same state as week 8, a shorter history), week 8.
SUNDAY = {1: date(2026, 11, 1), 0: date(2026, 11, 8), 8: date(2026, 12, 20)}
WEEK = 7 * 86400
CHAPTERS, SEQUENTIALS, UNITS = 10, 2, 10  # 200 problems per course
OPEN_SHARE = 0.15
TABLES = ["person_item", "course_item", "item_reliability", "time_on_asset", "section_engagement"]


def _block(course: int, category: str, name: str) -> str:
    return f"block-v1:IDBx+B{course}+2026+type@{category}+block@{name}"


def _structure(course: int) -> tuple[list[dict], list[str]]:
    docs, problems_ = [], []
    chapters = []
    for c in range(CHAPTERS):
        sequentials = []
        for s in range(SEQUENTIALS):
            verticals = []
            for u in range(UNITS):
                name = f"p{c}_{s}_{u}"
                problem = _block(course, "problem", name)
                problems_.append(problem)
                vertical = _block(course, "vertical", f"v{c}_{s}_{u}")
                docs += [{"_id": vertical, "category": "vertical", "display_name": f"Unidad {c}.{s}.{u}",
                          "children": [problem], "metadata": {}},
                         {"_id": problem, "category": "problem", "display_name": f"Problema {c}.{s}.{u}",
                          "children": [], "metadata": {"weight": 1}}]
                verticals.append(vertical)
            sequential = _block(course, "sequential", f"s{c}_{s}")
            docs.append({"_id": sequential, "category": "sequential", "display_name": f"Lección {c}.{s}",
                         "children": verticals, "metadata": {"format": "Homework" if s == 0 else "Exam",
                                                             "graded": True}})
            sequentials.append(sequential)
        chapter = _block(course, "chapter", f"c{c}")
        docs.append({"_id": chapter, "category": "chapter", "display_name": f"Módulo {c}", "children": sequentials,
                     "metadata": {}})
        chapters.append(chapter)
    docs.append({"_id": _block(course, "course", "course"), "category": "course", "display_name": f"Curso {course}",
                 "children": chapters, "metadata": {}})
    for order, doc in enumerate(docs):
        doc["order"] = order
    return docs, problems_


def setup(uri: str, db_name: str, learners: int, n_courses: int, folder: str) -> dict:
    db = MongoClient(uri)[db_name]
    rng = np.random.default_rng(11)
    out = Path(folder)
    records_total, axis_frames = 0, []
    enrolled_in = rng.integers(0, n_courses, size=int(learners * 1.8))
    users = rng.permutation(np.resize(np.arange(1, learners + 1), enrolled_in.size))
    pairs = pl.DataFrame({"course": enrolled_in, "user_id": users}).unique()
    week_rows = {weeks: [] for weeks in SUNDAY}
    start = datetime(2026, 10, 25, tzinfo=UTC)
    for course in range(n_courses):
        course_id, prefix = f"course-v1:IDBx+B{course}+2026", f"IDBx-B{course}-2026"
        db.courses.replace_one({"_id": course_id}, {"_id": course_id, "prefix": prefix, "display_name": f"B{course}",
                                                    "tables_delivered": [], "tables_missing": []}, upsert=True)
        structure, course_problems = _structure(course)
        db[f"{prefix}.structure"].insert_many(structure)
        users_of = pairs.filter(pl.col("course") == course).get_column("user_id").to_numpy()
        db[f"{prefix}.enrollments"].insert_many([{"user_id": int(u), "mode": "audit", "is_active": 1,
                                                  "created": start.replace(tzinfo=None)} for u in users_of])
        opened = rng.random((users_of.size, len(course_problems))) < OPEN_SHARE
        who, which = np.nonzero(opened)
        correct = rng.random(who.size) < 0.6
        attempts = rng.integers(1, 4, who.size)
        when = rng.integers(0, 8 * 7 * 86400, who.size)  # seconds after the start: the week it happened in
        docs = []
        for i in range(who.size):
            problem = course_problems[which[i]]
            name = problem.rsplit("@", 1)[-1]
            state = (f'{{"correct_map": {{"{name}_2_1": {{"correctness": "{"correct" if correct[i] else "incorrect"}", '
                     f'"npoints": null}}}}, "attempts": {attempts[i]}}}')
            moment = (start + timedelta(seconds=int(when[i]))).replace(tzinfo=None)
            docs.append({"student_id": int(users_of[who[i]]), "module_id": problem, "module_type": "problem",
                         "state": state, "grade": float(correct[i]), "max_grade": 1.0, "created": moment,
                         "modified": moment, "course_id": course_id})
            if len(docs) == 50_000:
                db[f"{prefix}.courseware"].insert_many(docs, ordered=False)
                docs = []
        if docs:
            db[f"{prefix}.courseware"].insert_many(docs, ordered=False)
        records_total += who.size
        touched = pl.DataFrame({"user_id": users_of[who].astype(np.int64), "problem": [course_problems[j] for j in which],
                                "correct": correct, "seconds": when, "nevents": attempts * 3})
        for weeks in SUNDAY:
            mine = (touched.filter(pl.col("seconds") < weeks * WEEK) if weeks else
                    touched.with_columns(pl.col("seconds") % WEEK))  # week 8's activity, all in week 1
            moment = pl.lit(start) + pl.duration(seconds=pl.col("seconds"))
            url = pl.col("problem").str.extract(r"@([^@]+)$", 1)
            week_rows[weeks].append(mine.with_columns(pl.lit(course_id).alias("course_id")).group_by(
                "course_id", "user_id").agg(
                pl.struct(pl.col("problem"), pl.format("{}_2_1", url).alias("part"), pl.lit(None, pl.String).alias(
                    "question"), moment.alias("first_time"), pl.lit("choice_1").alias("first_value"),
                    pl.col("correct").alias("first_correct"), pl.lit(None, pl.String).alias("first_variant"),
                    moment.alias("last_time"), pl.lit("choice_1").alias("last_value"),
                    pl.col("correct").alias("last_correct"), pl.lit(None, pl.String).alias("last_variant"),
                    pl.lit("choice_1").alias("first_value_id"), pl.lit("choice_1").alias("last_value_id"),
                ).alias("answer_detail"),
                pl.struct(pl.col("problem"), pl.col("nevents").alias("checks"), pl.col("correct").alias("first_correct"),
                          pl.col("correct").cast(pl.Float64).alias("best_score"), pl.lit(0, pl.Int64).alias("show_answers"),
                          pl.lit(None, pl.Datetime("ms", "UTC")).alias("first_show_answer"),
                          pl.when(pl.col("correct")).then(moment).alias("first_right")).alias("problem_detail"),
                pl.struct(url.alias("module"), pl.col("nevents"), (pl.col("nevents") * 40.0).alias("time_5"),
                          (pl.col("nevents") * 90.0).alias("time_30")).alias("module_time"),
            ))
        this = next(c for c in report_courses(db) if c.course_id == course_id)
        axis = course_axis.axis_frame(db, this, {"Homework": 0.4, "Exam": 0.6}, {})
        axis_frames.append(axis)
    pl.concat(axis_frames, how="vertical_relaxed").write_parquet(out / "course_axis.parquet")
    for weeks, parts in week_rows.items():
        frame = pl.concat(parts).with_columns(pl.col("user_id").cast(pl.Int64))
        learner_totals.write_week(db, SUNDAY[weeks], frame)
    return {"enrollments": pairs.height, "records": records_total}


# -- the tables, as their assets compute them --------------------------------------------------------------

def _axis(folder: Path) -> pl.DataFrame:
    return pl.read_parquet(folder / "course_axis.parquet")


def run_table(uri: str, db_name: str, name: str, weeks: int, folder: str) -> int:
    db = MongoClient(uri)[db_name]
    out, until = Path(folder), SUNDAY[weeks]
    axis, courses = _axis(Path(folder).parent), report_courses(db)

    def per_course(make, columns) -> int:
        parts = [make(c, axis.filter(pl.col("course_id") == c.course_id)) for c in courses]
        return write_frame(out / f"{name}.csv", pl.concat([p for p in parts if p.height], how="vertical_relaxed"),
                           columns).rows

    if name == "person_item":
        return per_course(lambda c, a: items.person_item_frame(db, c, a, learner_totals.read_week(
            db, until, c.course_id, ["answer_detail"], items.FIRST_GRADE_FIELDS)), items.PERSON_ITEM_COLUMNS)
    person = items.read_person_items(out / "person_item.csv") if name in ("course_item", "item_reliability") else None
    if name == "course_item":
        return per_course(lambda c, a: items.course_item_frame(
            c, person.filter(pl.col("course_id") == c.course_id), a,
            db[c.collection("enrollments")].count_documents({}),
            items.answers_shown(learner_totals.read_week(db, until, c.course_id, ["problem_detail"], items.SHOWN_FIELDS))),
            items.COURSE_ITEM_COLUMNS)
    if name == "item_reliability":
        return per_course(lambda c, a: items.reliability_frame(c, person.filter(pl.col("course_id") == c.course_id)),
                          items.RELIABILITY_COLUMNS)
    if name == "time_on_asset":
        return per_course(lambda c, a: modules.time_on_asset_frame(c.course_id, learner_totals.read_week(
            db, until, c.course_id, ["module_time"]), a), modules.TIME_ON_ASSET_COLUMNS)
    visits = modules.read_time_on_asset(out / "time_on_asset.csv")
    return per_course(lambda c, a: modules.section_engagement_frame(
        c.course_id, visits.filter(pl.col("course_id") == c.course_id), a,
        problems.problem_records(db, c, modules.RECORDS)), modules.SECTION_COLUMNS)


def read_inputs(uri: str, db_name: str, name: str, weeks: int, folder: str) -> int:
    """The table's inputs read into polars with the same projections, nothing computed."""
    db = MongoClient(uri)[db_name]
    out, until = Path(folder), SUNDAY[weeks]
    read = _axis(Path(folder).parent).height
    column = {"person_item": "answer_detail", "course_item": "problem_detail", "time_on_asset": "module_time"}
    for course in report_courses(db):
        if name == "person_item":
            read += problems.problem_records(db, course, items.READ).height
        if name == "section_engagement":
            read += frames.read(db, course.collection("courseware"), modules.RECORDS, {"module_type": "problem"}).height
        if name in column:
            read += learner_totals.read_week(db, until, course.course_id, [column[name]],
                                             {**items.FIRST_GRADE_FIELDS, **items.SHOWN_FIELDS}).height
    if name in ("course_item", "item_reliability"):
        read += items.read_person_items(out / "person_item.csv").height
    if name == "section_engagement":
        read += pl.read_csv(out / "time_on_asset.csv", infer_schema_length=None).height
    return read


def measure_weeks(uri: str, weeks: int, folder: Path, with_floor: bool = True) -> dict[str, dict]:
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in TABLES:
        done = measure(run_table, uri, "bench", name, weeks, str(folder))
        floor = measure(read_inputs, uri, "bench", name, weeks, str(folder)) if with_floor else {"seconds": 0, "value": 0}
        results[name] = {"seconds": done["seconds"], "rss": done["peak_rss_mb"], "rows": done["value"],
                         "floor": floor["seconds"], "inputs": floor["value"]}
        print(f"  week {weeks or '1 (all)'} {name}: {done['seconds']:.1f} s (floor {floor['seconds']:.1f} s)", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--save", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    with local_stack() as (stack, tmp):
        made = measure(setup, stack.mongo_uri, "bench", args.learners, args.courses, str(tmp))
        print(f"setup: {made['value']} in {made['seconds']:.0f} s", flush=True)
        first = measure_weeks(stack.mongo_uri, 1, tmp / "week1")
        same = measure_weeks(stack.mongo_uri, 0, tmp / "week1-all", with_floor=False)
        last = measure_weeks(stack.mongo_uri, 8, tmp / "week8")
    rows = [[n, f"{last[n]['inputs']:,}", f"{last[n]['rows']:,}", f"{first[n]['seconds']:.1f}", f"{same[n]['seconds']:.1f}",
             f"{last[n]['seconds']:.1f}", f"{last[n]['floor']:.1f}",
             f"{last[n]['seconds'] / last[n]['floor']:.2f}" if last[n]["floor"] else "-",
             f"{max(w[n]['rss'] for w in (first, same, last)):.0f}"] for n in TABLES]
    one, one_all, eight = (sum(r["seconds"] for r in w.values()) for w in (first, same, last))
    floor = sum(r["floor"] for r in last.values())
    first_floor = sum(r["floor"] for r in first.values())
    peak = max(r["rss"] for w in (first, same, last) for r in w.values())
    text = "\n".join([
        f"{args.learners:,} learners, {args.courses} courses x {CHAPTERS * SEQUENTIALS * UNITS} graded problems, "
        f"{made['value']['enrollments']:,} enrollments, {made['value']['records']:,} courseware problem records "
        f"(synthetic, written straight to MongoDB in {made['seconds']:.0f} s; the same package in every column). "
        "learner_totals after: week 1, the problems touched in the first week (an eighth); week 1 (all), every "
        "problem of week 8, all touched in week 1 (week 8's state after a one-week history); week 8, all of them "
        "over 8 weeks. Each table as its asset computes it, in a fresh process; I/O floor: its inputs read into "
        "polars with the same projections, nothing computed.", "",
        table(["table", "rows read (week 8)", "rows written (week 8)", "s after week 1", "s after week 1 (all)",
               "s after week 8", "I/O floor s (week 8)", "/ floor", "peak RSS MB"], rows), "",
        f"- all five after 8 weeks: **{eight:.1f} s** = **{eight / floor:.2f}x** the I/O floor ({floor:.1f} s) "
        "(target <= 2x)",
        f"- after 8 weeks / after 1 week with the same state: **{eight / one_all:.2f}** ({eight:.1f} s / {one_all:.1f} s; "
        "target <= 1.3): what the tables cost does not grow with the weeks of history",
        f"- after 8 weeks / after 1 week (an eighth of the state): {eight / one:.2f} ({eight:.1f} s / {one:.1f} s); "
        f"their I/O floor grows {floor / first_floor:.2f}x ({first_floor:.1f} s -> {floor:.1f} s): learner_totals' "
        "answer_detail, problem_detail and module_time hold every problem a learner touched so far, and "
        "time_on_asset has a row per learner and module visited",
        f"- peak RSS of any table: {peak:.0f} MB (target < 2 GB)",
        "- not measured here: ora_activity (small tables) and integrity_signals (opt-in)",
    ])
    text += f"\n\nCommand: `python benchmarks/{Path(__file__).name}` (part of `make bench`)."
    print(text)
    if args.save:
        save_section("Assessment tables: 100k learners x 50 courses x 200 problems", text)


if __name__ == "__main__":
    main()
