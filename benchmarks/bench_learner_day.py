"""learner_day for a 1M-event day, against that day's `eventos` load, in one run on one machine.

The day's tracking log is generated, loaded into `Eventos` as the `eventos` asset does (pipelined parse ->
insert, the collection's indexes), then `learner_day` is computed for it as its asset does (server-side
projection read into polars, the day's rows computed, written by id), each in a fresh process.

Usage: python benchmarks/bench_learner_day.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import MongoClient

from benchmarks.common import local_stack, measure, plain_event_day, save_section, table
from edx_assets.edx import event_load
from edx_assets.edx import learner_day as ld

DAY = date(2026, 10, 5)
PARTITION = DAY.isoformat()


def load_day(uri: str, path: str, sha: str) -> int:
    result = event_load.load_events(MongoClient(uri)["bench"], Path(path), collection="Eventos", partition=PARTITION,
                                    sha256=sha, source_name="bench", pipelined=True)
    return result.stored


def learner_day_of(uri: str) -> dict:
    db = MongoClient(uri)["bench"]
    started = time.perf_counter()
    events = ld.read_day(db, "Eventos", PARTITION)
    read = time.perf_counter() - started
    rows = ld.compute(events, PARTITION)
    computed = time.perf_counter() - started - read
    written = ld.write_day(db, rows, PARTITION)
    return {"events": events.height, "rows": written.rows, "learners": written.learners, "read_seconds": read,
            "compute_seconds": computed, "write_seconds": time.perf_counter() - started - read - computed,
            "reconciles": ld.stored_events(db, PARTITION) == ld.eventos_events(db, "Eventos", PARTITION)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with local_stack() as (stack, tmp):
        log, sha = plain_event_day(tmp, DAY, args.events)
        load = measure(load_day, stack.mongo_uri, str(log), sha)
        day = measure(learner_day_of, stack.mongo_uri)
        again = measure(learner_day_of, stack.mongo_uri)  # a re-run: same rows rewritten, nothing removed
    value = day["value"]
    rows = [
        ["`eventos`: load the day (pipelined parse -> insert)", f"{load['value']:,}", f"{load['seconds']:.1f}",
         f"{load['peak_rss_mb']:.0f}"],
        ["`learner_day`: read (projection -> polars)", f"{value['events']:,}", f"{value['read_seconds']:.1f}", ""],
        ["`learner_day`: compute (polars)", f"{value['rows']:,} rows", f"{value['compute_seconds']:.1f}", ""],
        ["`learner_day`: write (by stable id)", f"{value['rows']:,} rows", f"{value['write_seconds']:.1f}", ""],
        ["**`learner_day` in all**", f"{value['learners']:,} learners", f"{day['seconds']:.1f}",
         f"{day['peak_rss_mb']:.0f}"],
        ["`learner_day` re-run", "", f"{again['seconds']:.1f}", f"{again['peak_rss_mb']:.0f}"],
    ]
    text = "\n".join([
        f"{load['value']:,} events of one day (the sample world's 5,000 learners), loaded as `eventos` loads them, "
        "then `learner_day` computed from that day's partition, each in a fresh process.", "",
        table(["stage", "items", "seconds", "peak RSS MB"], rows), "",
        f"- learner_day: **{day['seconds']:.1f} s** (target < 30 s); **{day['seconds'] / load['seconds']:.2f}x** "
        f"the day's `eventos` load ({load['seconds']:.1f} s; target < 0.5x)",
        f"- its nevents sum reconciles with the day's `Eventos`: {value['reconciles']}",
    ])
    text += f"\n\nCommand: `python benchmarks/{Path(__file__).name}` (part of `make bench`)."
    print(text)
    save_section("learner_day: a 1M-event day", text)


if __name__ == "__main__":
    main()
