"""A day's load on one mongod and on the local 3-member replica set (EDX_LOCAL_MONGO_REPLSET=3), same file, same
run: what `w: majority` and the two secondaries cost on this machine (all members share its cores).

Usage: python benchmarks/bench_replset.py [--events 500000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import MongoClient

from benchmarks.common import measure, plain_event_day, save_section, table
from edx_assets.edx import event_load
from edx_assets.local.stack import LocalStack, free_port, free_ports

DAY = date(2026, 10, 5)


def stage_load(uri: str, path: str, sha: str, w: str) -> dict:
    client = MongoClient(uri, w=int(w) if w.isdigit() else w)
    result = event_load.load_events(client["bench"], Path(path), collection="Eventos", partition=DAY.isoformat(),
                                    sha256=sha, source_name="bench")
    return {"stored": result.stored}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edx-bench-") as tmp:
        log, sha = plain_event_day(Path(tmp), DAY, args.events)
        runs = {}
        for name, members, w in (("one mongod, w: 1", 0, "1"), ("one mongod, w: majority", 0, "majority"),
                                 ("replica set of 3, w: 1", 3, "1"), ("replica set of 3, w: majority", 3, "majority")):
            stack = LocalStack(home=Path(tmp) / f"stack{len(runs)}", mongo_port=free_ports(3), s3_port=free_port(),
                               mongo_replset=members)
            stack.up()
            try:
                runs[name] = measure(stage_load, stack.mongo_uri, str(log), sha, w)
            finally:
                stack.down()
    n = runs["one mongod, w: 1"]["value"]["stored"]
    base = runs["one mongod, w: 1"]["seconds"]
    rows = [[name, f"{m['seconds']:.1f}", f"{n / m['seconds']:,.0f}", f"{m['seconds'] / base:.2f}"]
            for name, m in runs.items()]
    majority = runs["replica set of 3, w: majority"]["seconds"] / base
    save_section("Replica set: a day's load", "\n".join([
        f"{n:,} events, one day, loaded as `eventos` loads them (parse process -> 2 writers), into a fresh "
        "one-member stack and a fresh 3-member replica set (the members on this machine's 2 cores).", "",
        table(["target", "seconds", "events/s", "/ one mongod, w: 1"], rows), "",
        f"- the replica set with `w: majority` (the default) loads in **{majority:.2f}x** the time of one mongod: "
        "its secondaries apply every write on the same cores; on separate hosts the cost is the wait for one "
        "secondary's acknowledgement, not measured here",
        "", "Command: `python benchmarks/bench_replset.py`.",
    ]))
    print(f"replica set w: majority / one mongod: {majority:.2f}")


if __name__ == "__main__":
    main()
