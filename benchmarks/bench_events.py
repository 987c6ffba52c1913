"""A 1M-event day from S3 object to `Eventos`, stage by stage, against the ceilings and the naive loader.

Usage: python benchmarks/bench_events.py [--events 1000000] [--naive-lines 50000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from concurrent.futures import ThreadPoolExecutor

import boto3
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient

from benchmarks.common import local_stack, measure, save_section, table
from edx_assets.cli import generate_sample
from edx_assets.edx import crypto, event_indexes, event_load, landing, parse_pipeline
from edx_assets.local.gpg_tools import SenderKeyring
from edx_assets.local.sample import write_event_log
from edx_assets.local.sample_world import SampleSpec, SampleWorld

DAY = date(2026, 10, 5)
PARTITION = DAY.isoformat()


def _s3(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench")


def stage_download(endpoint: str, key: str, folder: str) -> int:
    landed = landing.land(_s3(endpoint), "bench-events", key, Path(folder))
    return landed.size


def stage_decrypt(private_key: str, passphrase: str, source: str, target: str) -> dict:
    with crypto.keyring(private_key, passphrase) as ring:
        out = ring.decrypt_to(Path(source), Path(target), gunzip=True)
    return {"bytes": out.bytes, "lines": out.lines, "sha256": out.sha256}


def stage_parse(path: str) -> int:
    return sum(len(b.docs) for b in parse_pipeline.parsed_batches(Path(path), partition=PARTITION, load_id="L",
                                                              source_name="bench"))


def stage_load(uri: str, db: str, path: str, sha: str, pipelined: bool) -> dict:
    client = MongoClient(uri)
    result = event_load.load_events(client[db], Path(path), collection="Eventos", partition=PARTITION,
                                    sha256=sha, source_name="bench", pipelined=pipelined)
    return {"stored": result.stored, "rejected": result.rejected}


def stage_parse_parallel(path: str, parsers: int) -> int:
    """The parse stage in `parsers` processes, batches read back in file order and dropped: what a load
    gets from EDX_EVENTS_PARSERS when mongod is on another host."""
    batches = parse_pipeline._in_child_processes(Path(path), PARTITION, "L", "bench", parse_pipeline.BATCH, parsers)
    try:
        return sum(len(b.docs) for b in batches)
    finally:
        batches.close()


def stage_load_extra(uri: str, db: str, path: str, sha: str) -> dict:
    """The loader with the five opt-in indexes too (EDX_EVENTS_EXTRA_INDEXES=all five, built before it)."""
    client = MongoClient(uri)
    events = client[db]["Eventos"]
    event_indexes.ensure_indexes(events, client[db]["Eventos_rejected"])
    event_indexes.build_extra_indexes(events, list(event_indexes.EXTRA_INDEXES))
    return stage_load(uri, db, path, sha, True)


def insert_ceiling(uri: str, db: str, path: str) -> dict:
    """MongoDB's own ceiling for the project's documents: the day's documents encoded beforehand (not
    timed), then inserted as raw BSON by 2 threads with unordered insert_many, into `Eventos` with the
    loader's default indexes: only the inserts are timed."""
    client = MongoClient(uri)
    events = client[db]["Eventos"]
    event_indexes.ensure_indexes(events, client[db]["Eventos_rejected"])
    batches = [[RawBSONDocument(doc) for doc in batch.docs]
               for batch in parse_pipeline.parsed_batches(Path(path), partition=PARTITION, load_id="C", source_name="c")]
    batches = [batch for batch in batches if batch]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda batch: events.insert_many(batch, ordered=False), batches))
    return {"inserted": sum(map(len, batches)), "insert_seconds": time.perf_counter() - started}


def backfill_stage(env: dict, first: str, last: str, log: str) -> dict:
    """`make backfill FROM=first TO=last` against the bench's stack: the daily job's runs through a Dagster
    backfill, 2 at a time (download, decrypt, load, and the day's learner tables)."""
    os.environ.update(env)
    from edx_assets.config import EdxConfig
    from edx_assets.local.backfill import run_backfill

    summary = run_backfill(EdxConfig.from_env(), date.fromisoformat(first), date.fromisoformat(last),
                           log_path=Path(log))
    return {"events": summary.events, "seconds": summary.seconds, "failed": summary.failed, "days": len(summary.days)}


def naive_loader(uri: str, db: str, path: str, lines: int, indexed: bool = False,
                 collection: str = "events") -> dict:
    """How the old tools worked: json.loads and insert_one per line (first `lines` lines); `indexed`
    gives its collection the same indexes as `Eventos`, for a like-for-like comparison."""
    client = MongoClient(uri)
    events = client[db][collection]
    if indexed:
        event_indexes.ensure_indexes(events, client[db]["events_rejected"])
    started, done = time.perf_counter(), 0
    with open(path, "rb") as handle:
        for raw in handle:
            with contextlib.suppress(ValueError):  # the old tools skipped what did not parse
                events.insert_one(json.loads(raw[raw.find(b"{"):]))
            done += 1
            if done >= lines:
                break
    return {"lines": done, "seconds": time.perf_counter() - started}


def mongod_cpu_seconds(port: int) -> float:
    """CPU time (user + system) the stack's mongod has used so far."""
    import psutil

    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "mongod" and str(port) in (process.info["cmdline"] or []):
            times = process.cpu_times()
            return times.user + times.system
    raise RuntimeError(f"no mongod on port {port}")


def gpg_gunzip_ceiling(stack_home: str, private_key_file: str, passphrase_file: str, source: str) -> float:
    home = Path(stack_home) / "gnupg-bench"
    home.mkdir(mode=0o700, exist_ok=True)
    subprocess.run(["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase-file",
                    passphrase_file, "--import", private_key_file], check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(f"gpg --homedir {home} --batch --pinentry-mode loopback --passphrase-file {passphrase_file} "
                   f"--decrypt {source} | gunzip > /dev/null", shell=True, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--naive-lines", type=int, default=50_000)
    parser.add_argument("--backfill-days", type=int, default=7)
    parser.add_argument("--backfill-events", type=int, default=200_000, help="events per day of the backfill")
    args = parser.parse_args()
    with local_stack() as (stack, tmp):
        spec = SampleSpec(start=DAY, end=DAY, learners=5000, events_per_day=args.events, malformed_per_day=20)
        plain = tmp / "day.log.gz"
        started = time.perf_counter()
        truth = write_event_log(SampleWorld(spec), DAY, plain, compresslevel=6)
        print(f"generated {truth.lines} lines in {time.perf_counter() - started:.1f} s", flush=True)
        with crypto.gpg_home() as home:
            ring = SenderKeyring(home, None)
            recipient = ring.import_key(stack.public_key_file.read_text())[0]
            ring.encrypt_file(plain, tmp / "day.log.gz.gpg", recipient)
        key = f"idbx/edx/events/2026/idbx-edx-events-{PARTITION}.log.gz.gpg"
        s3 = _s3(stack.s3_endpoint)
        s3.create_bucket(Bucket="bench-events")
        s3.upload_file(str(tmp / "day.log.gz.gpg"), "bench-events", key)
        uri = stack.mongo_uri

        download = measure(stage_download, stack.s3_endpoint, key, str(tmp / "landing"))
        decrypt = measure(stage_decrypt, stack.private_key_file.read_text(), stack.passphrase_file.read_text(),
                          str(tmp / "landing" / Path(key).name), str(tmp / "day.log"))
        log = str(tmp / "day.log")
        sha = decrypt["value"]["sha256"]
        parse = measure(stage_parse, log)
        parse2 = measure(stage_parse_parallel, log, 2)
        cpu = mongod_cpu_seconds(stack.mongo_port)
        load = measure(stage_load, uri, "bench_pipelined", log, sha, True)
        load_mongod_cpu, cpu = mongod_cpu_seconds(stack.mongo_port) - cpu, mongod_cpu_seconds(stack.mongo_port)
        single = measure(stage_load, uri, "bench_single", log, sha, False)
        extra = measure(stage_load_extra, uri, "bench_extra", log, sha)
        cpu = mongod_cpu_seconds(stack.mongo_port)
        ceiling = measure(insert_ceiling, uri, "bench_ceiling", log)
        ceiling_mongod_cpu = mongod_cpu_seconds(stack.mongo_port) - cpu
        naive = measure(naive_loader, uri, "bench_naive", log, args.naive_lines)
        naive_indexed = measure(naive_loader, uri, "bench_naive_indexed", log, args.naive_lines, True)
        gpg_seconds = gpg_gunzip_ceiling(str(tmp), str(stack.private_key_file), str(stack.passphrase_file),
                                         str(tmp / "landing" / Path(key).name))
        for name in ("bench_pipelined", "bench_single", "bench_extra", "bench_ceiling"):
            MongoClient(uri).drop_database(name)  # room for the backfill

        # A backfill of days through Dagster, as `make backfill` runs it.
        first = date(2026, 10, 4)
        last = first + timedelta(days=args.backfill_days - 1)
        days_spec = SampleSpec(start=first, end=last, learners=2000, events_per_day=args.backfill_events)
        os.environ.update(stack.env())
        started = time.perf_counter()
        generate_sample(stack, days_spec, log=lambda _m: None)
        print(f"generated the backfill's {args.backfill_days} days in {time.perf_counter() - started:.1f} s",
              flush=True)
        backfill = measure(backfill_stage, {**stack.env(), "EDX_PARTITIONS_START": first.isoformat()},
                           first.isoformat(), last.isoformat(), str(tmp / "backfill-runs.log"))

    n = load["value"]["stored"]
    unpacked_mb = decrypt["value"]["bytes"] / 2**20
    ceiling_rate = ceiling["value"]["inserted"] / ceiling["value"]["insert_seconds"]
    naive_rate = naive["value"]["lines"] / naive["value"]["seconds"]
    naive_indexed_rate = naive_indexed["value"]["lines"] / naive_indexed["value"]["seconds"]
    load_rate = n / load["seconds"]
    parse_rate = n / parse["seconds"]
    end_to_end = download["seconds"] + decrypt["seconds"] + load["seconds"]
    bf = backfill["value"]
    bf_rate = bf["events"] / bf["seconds"]
    rows = [
        ["download (S3 -> landing)", f"{download['seconds']:.1f}", f"{n / download['seconds']:,.0f}",
         f"{download['peak_rss_mb']:.0f}"],
        ["decrypt + gunzip (streaming)", f"{decrypt['seconds']:.1f}", f"{n / decrypt['seconds']:,.0f}",
         f"{decrypt['peak_rss_mb']:.0f}"],
        ["parse + normalize + BSON encode (alone, one process)", f"{parse['seconds']:.1f}", f"{parse_rate:,.0f}",
         f"{parse['peak_rss_mb']:.0f}"],
        ["parse stage in 2 processes (EDX_EVENTS_PARSERS=2, nothing inserted: what a remote mongod gets)",
         f"{parse2['seconds']:.1f}", f"{n / parse2['seconds']:,.0f}", f"{parse2['peak_rss_mb']:.0f}"],
        ["**load**: parse process -> insert, default indexes (what `eventos` runs)", f"{load['seconds']:.1f}",
         f"**{load_rate:,.0f}**", f"{load['peak_rss_mb']:.0f}"],
        ["load: one process (no pipeline)", f"{single['seconds']:.1f}", f"{n / single['seconds']:,.0f}",
         f"{single['peak_rss_mb']:.0f}"],
        ["load with the five opt-in indexes too (EDX_EVENTS_EXTRA_INDEXES, as before issue 17)",
         f"{extra['seconds']:.1f}", f"{n / extra['seconds']:,.0f}", f"{extra['peak_rss_mb']:.0f}"],
        ["**end to end** (download + decrypt + load)", f"{end_to_end:.1f}", f"{n / end_to_end:,.0f}",
         f"{max(download['peak_rss_mb'], decrypt['peak_rss_mb'], load['peak_rss_mb']):.0f}"],
        ["(a) ceiling: MongoDB alone, the same documents pre-encoded, 2 threads, same indexes",
         f"{ceiling['value']['insert_seconds']:.1f}", f"{ceiling_rate:,.0f}", f"{ceiling['peak_rss_mb']:.0f}"],
        ["(b) ceiling: `gpg --decrypt | gunzip`", f"{gpg_seconds:.1f}", f"{n / gpg_seconds:,.0f}", "-"],
        [f"(c) naive: json.loads + insert_one, no index, as the old tools ({naive['value']['lines']:,} lines)",
         f"{naive['value']['seconds']:.1f}", f"{naive_rate:,.0f}", f"{naive['peak_rss_mb']:.0f}"],
        [f"(c') naive with the same default indexes ({naive_indexed['value']['lines']:,} lines)",
         f"{naive_indexed['value']['seconds']:.1f}", f"{naive_indexed_rate:,.0f}",
         f"{naive_indexed['peak_rss_mb']:.0f}"],
        [f"**backfill** of {bf['days']} days x {args.backfill_events:,} events (`make backfill`, 2 runs at once, "
         "whole daily job)", f"{bf['seconds']:.1f}", f"**{bf_rate:,.0f}**", f"{backfill['peak_rss_mb']:.0f}"],
    ]
    text = "\n".join([
        f"{n:,} events ({unpacked_mb:,.0f} MB unpacked, {truth.rejected} malformed lines), one day, into a fresh "
        "mongod; `Eventos` with its default indexes (`partition_load`, the partial `enrollment_events`).", "",
        table(["stage", "seconds", "events/s", "peak RSS MB"], rows), "",
        f"- load: **{load_rate:,.0f} events/s** (target >= 60,000); / MongoDB's own ceiling (a): "
        f"**{load_rate / ceiling_rate:.2f}** (target >= 0.8)",
        f"- load / naive loader: **{load_rate / naive_rate:.1f}x** against (c), the old tools as they were "
        f"(target >= 17x); like for like, same indexes: **{load_rate / naive_indexed_rate:.1f}x** against (c')",
        f"- parse stage alone: **{parse_rate:,.0f} events/s** (target >= 100,000); in 2 processes "
        f"{n / parse2['seconds']:,.0f} events/s",
        f"- why not 0.8x on this machine: the two cores are shared. Per event, the parse stage takes "
        f"{parse['seconds'] / n * 1e6:.1f} µs of one core and mongod {load_mongod_cpu / n * 1e6:.1f} µs of CPU during "
        f"the load ({ceiling_mongod_cpu / n * 1e6:.1f} µs at the ceiling, where it has both cores to itself and no "
        f"parsing to wait for), so 2 cores load at most {2 / (parse['seconds'] / n + load_mongod_cpu / n):,.0f} "
        f"events/s: the load reaches **{load_rate / (2 / (parse['seconds'] / n + load_mongod_cpu / n)):.2f}** of that "
        "bound. With mongod on another host the parse stage is the bound (see the 2-process row)",
        f"- the five opt-in indexes cost a load {extra['seconds'] / load['seconds']:.2f}x its time",
        f"- peak RSS of the load (writer + parse process): **{load['peak_rss_mb']:.0f} MB** (target < 400 MB)",
        f"- decrypt + gunzip / `gpg | gunzip`: {gpg_seconds / decrypt['seconds']:.2f} (>1 means faster than the "
        "shell pipeline)",
        f"- backfill: {bf['days']} days, {bf['events']:,} events in {bf['seconds']:.1f} s = **{bf_rate:,.0f} "
        f"events/s** through Dagster (runs, S3, decryption, load, learner_day and the daily tables); failed days: "
        f"{', '.join(bf['failed']) or 'none'}",
        "",
        "Command: `python benchmarks/bench_events.py` (part of `make bench`).",
    ])
    print(text)
    save_section("Events: a 1M-event day", text)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
