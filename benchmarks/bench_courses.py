"""A weekly package whose courseware_studentmodule has 2M rows: rows/s per table, peak RSS, insert ceiling.

Usage: python benchmarks/bench_courses.py [--rows 2000000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import MongoClient

from benchmarks.common import local_stack, measure, save_section, table
from edx_assets.edx import course_load, course_package, crypto, sql_dump
from edx_assets.local import sample_package as sp
from edx_assets.local.gpg_tools import make_package

COURSE = "BenchX-BIG101x-2026_T1"
CID = "course-v1:BenchX+BIG101x+2026_T1"
MODULES = 100


def write_tables(folder: Path, rows: int) -> dict[str, Path]:
    """Plain TSV files of one big course: `rows` studentmodule rows over rows/100 learners."""
    learners = max(1, rows // MODULES)
    base = datetime(2026, 9, 1)
    files = {
        "auth_user": sp.tsv(sp.AUTH_USER, ([u, f"learner{u}", "Ana", "Pérez", f"u{u}@example.org", "", 0, 1, 0,
                                            base, base, "", None, "", "", 0, None, "", "", 0, 0, 0]
                                           for u in range(1, learners + 1))),
        "student_courseenrollment": sp.tsv(sp.ENROLLMENT, ([u, u, CID, base, 1, "audit"]
                                                           for u in range(1, learners + 1))),
        "courseware_studentmodule": sp.tsv(sp.STUDENTMODULE, (
            [i, "problem", f"block-v1:BenchX+BIG101x+2026_T1+type@problem+block@p{i % MODULES}", 1 + i // MODULES,
             '{"attempts": 1, "correct_map": {"x_2_1": {"correctness": "correct"}}}', 1.0,
             base + timedelta(seconds=i), base + timedelta(seconds=i), 1.0, "na", CID] for i in range(rows))),
    }
    paths = {}
    for table_name, chunks in files.items():
        path = folder / f"{COURSE}-{table_name}-prod-analytics.sql"
        with path.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        paths[table_name] = path
    return paths


def stage_extract(private_key: str, passphrase: str, package: str, target: str) -> dict:
    with crypto.keyring(private_key, passphrase) as ring:
        manifest = course_package.extract_and_decrypt(Path(package), Path(target), ring)
    return manifest.as_dict()


def stage_load(uri: str, db: str, manifest: dict, folder: str) -> dict:
    result = course_load.load_package(MongoClient(uri)[db], course_package.Manifest.from_dict(manifest),
                                      Path(folder), date(2026, 10, 4), "BenchX")
    [course] = result.courses
    return {"rows": course.rows, "seconds": course.seconds}


def insert_ceiling(uri: str, db: str, path: str) -> dict:
    """insert_many(ordered=False) of already-typed studentmodule rows, same indexes; inserts timed only."""
    collection = MongoClient(uri)[db]["ceiling"]
    collection.create_indexes(course_load.INDEXES["courseware"])
    seconds, inserted, batch = 0.0, 0, []
    for line, row in sql_dump.iter_rows(Path(path), "courseware_studentmodule"):
        row["_id"] = row["id"]
        batch.append(row)
        if len(batch) >= course_load.BATCH:
            started = time.perf_counter()
            collection.insert_many(batch, ordered=False)
            seconds += time.perf_counter() - started
            inserted += len(batch)
            batch = []
        del line
    if batch:
        started = time.perf_counter()
        collection.insert_many(batch, ordered=False)
        seconds += time.perf_counter() - started
        inserted += len(batch)
    return {"inserted": inserted, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    with local_stack() as (stack, tmp):
        plain = tmp / "plain"
        plain.mkdir()
        paths = write_tables(plain, args.rows)
        members = {p.name: p.read_bytes() for p in paths.values()}
        package = make_package(tmp / "benchx-2026-10-04.zip", members, stack.public_key_file.read_text(),
                               top="benchx-2026-10-04")
        del members
        extract = measure(stage_extract, stack.private_key_file.read_text(), stack.passphrase_file.read_text(),
                          str(package), str(tmp / "decrypted"))
        load = measure(stage_load, stack.mongo_uri, "bench_courses", extract["value"], str(tmp / "decrypted"))
        ceiling = measure(insert_ceiling, stack.mongo_uri, "bench_ceiling",
                          str(paths["courseware_studentmodule"]))
    rows, seconds = load["value"]["rows"], load["value"]["seconds"]
    ceiling_rate = ceiling["value"]["inserted"] / ceiling["value"]["seconds"]
    table_rows = [[suffix, f"{rows[suffix]:,}", f"{seconds[suffix]:.1f}",
                   f"{rows[suffix] / seconds[suffix]:,.0f}" if seconds[suffix] and rows[suffix] else "-"]
                  for suffix in ("users", "enrollments", "courseware")]
    courseware_rate = rows["courseware"] / seconds["courseware"]
    text = "\n".join([
        f"One course, {args.rows:,} `courseware_studentmodule` rows ({args.rows // MODULES:,} learners x {MODULES} "
        "modules), encrypted member by member, zipped.", "",
        table(["table -> collection", "rows", "seconds", "rows/s"], table_rows), "",
        table(["stage", "seconds", "peak RSS MB"], [
            ["extract + decrypt every member", f"{extract['seconds']:.1f}", f"{extract['peak_rss_mb']:.0f}"],
            ["load (read, type, stage, index, swap)", f"{load['seconds']:.1f}", f"{load['peak_rss_mb']:.0f}"],
            ["ceiling: insert_many of typed rows, same indexes (inserts only)",
             f"{ceiling['value']['seconds']:.1f}", f"{ceiling['peak_rss_mb']:.0f}"],
        ]), "",
        f"- studentmodule load / insert ceiling: **{courseware_rate / ceiling_rate:.2f}** "
        f"({courseware_rate:,.0f} vs {ceiling_rate:,.0f} rows/s)",
        f"- peak RSS of the load: {load['peak_rss_mb']:.0f} MB (target < 600 MB)",
    ])
    print(text)
    save_section("Course package: 2M-row studentmodule", text)


if __name__ == "__main__":
    main()
