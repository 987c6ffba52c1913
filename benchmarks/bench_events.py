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
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from pymongo import MongoClient

from benchmarks.common import local_stack, measure, save_section, table
from edx_assets.edx import crypto, event_load, landing, tracking_log
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
    return sum(len(b.docs) for b in event_load.parsed_batches(Path(path), partition=PARTITION, load_id="L",
                                                              source_name="bench"))


def stage_load(uri: str, db: str, path: str, sha: str, pipelined: bool) -> dict:
    client = MongoClient(uri)
    result = event_load.load_events(client[db], Path(path), collection="Eventos", partition=PARTITION,
                                    sha256=sha, source_name="bench", pipelined=pipelined)
    return {"stored": result.stored, "rejected": result.rejected}


def insert_ceiling(uri: str, db: str, path: str) -> dict:
    """insert_many(ordered=False) of already-built documents, same indexes: only the inserts are timed."""
    client = MongoClient(uri)
    events = client[db]["Eventos"]
    event_load.ensure_indexes(events, client[db]["Eventos_rejected"])
    inserted, seconds = 0, 0.0
    batch: list[dict] = []

    def flush() -> None:
        nonlocal inserted, seconds
        started = time.perf_counter()
        events.insert_many(batch, ordered=False)
        seconds += time.perf_counter() - started
        inserted += len(batch)
        batch.clear()

    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            obj, _, _ = tracking_log.split_line(raw)
            if obj is None:
                continue
            batch.append(tracking_log.normalize(obj, partition=PARTITION, source_file="c", line=line_no, load_id="C"))
            if len(batch) >= event_load.BATCH:
                flush()
    if batch:
        flush()
    return {"inserted": inserted, "insert_seconds": seconds}


def naive_loader(uri: str, db: str, path: str, lines: int, indexed: bool = False,
                 collection: str = "events") -> dict:
    """How the old tools worked: json.loads and insert_one per line (first `lines` lines); `indexed`
    gives its collection the same indexes as `Eventos`, for a like-for-like comparison."""
    client = MongoClient(uri)
    events = client[db][collection]
    if indexed:
        event_load.ensure_indexes(events, client[db]["events_rejected"])
    started, done = time.perf_counter(), 0
    with open(path, "rb") as handle:
        for raw in handle:
            with contextlib.suppress(ValueError):  # the old tools skipped what did not parse
                events.insert_one(json.loads(raw[raw.find(b"{"):]))
            done += 1
            if done >= lines:
                break
    return {"lines": done, "seconds": time.perf_counter() - started}


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
        load = measure(stage_load, uri, "bench_pipelined", log, sha, True)
        single = measure(stage_load, uri, "bench_single", log, sha, False)
        ceiling = measure(insert_ceiling, uri, "bench_ceiling", log)
        naive = measure(naive_loader, uri, "bench_naive", log, args.naive_lines)
        naive_indexed = measure(naive_loader, uri, "bench_naive_indexed", log, args.naive_lines, True)
        # Like for like at the scale of a day: into the `Eventos` the one-process load filled (1M documents,
        # same indexes), where each insert pays what the last inserts of a day pay.
        naive_full = measure(naive_loader, uri, "bench_single", log, args.naive_lines, False, "Eventos")
        gpg_seconds = gpg_gunzip_ceiling(str(tmp), str(stack.private_key_file), str(stack.passphrase_file),
                                         str(tmp / "landing" / Path(key).name))

    n = load["value"]["stored"]
    unpacked_mb = decrypt["value"]["bytes"] / 2**20
    ceiling_rate = ceiling["value"]["inserted"] / ceiling["value"]["insert_seconds"]
    naive_rate = naive["value"]["lines"] / naive["value"]["seconds"]
    naive_indexed_rate = naive_indexed["value"]["lines"] / naive_indexed["value"]["seconds"]
    naive_full_rate = naive_full["value"]["lines"] / naive_full["value"]["seconds"]
    load_rate = n / load["seconds"]
    end_to_end = download["seconds"] + decrypt["seconds"] + load["seconds"]
    rows = [
        ["download (S3 -> landing)", f"{download['seconds']:.1f}", f"{n / download['seconds']:,.0f}",
         f"{download['peak_rss_mb']:.0f}"],
        ["decrypt + gunzip (streaming)", f"{decrypt['seconds']:.1f}", f"{n / decrypt['seconds']:,.0f}",
         f"{decrypt['peak_rss_mb']:.0f}"],
        ["parse + normalize + BSON encode (alone)", f"{parse['seconds']:.1f}", f"{n / parse['seconds']:,.0f}",
         f"{parse['peak_rss_mb']:.0f}"],
        ["load: parse process -> insert (pipelined, what `eventos` runs)", f"{load['seconds']:.1f}",
         f"{load_rate:,.0f}", f"{load['peak_rss_mb']:.0f}"],
        ["load: one process (no pipeline)", f"{single['seconds']:.1f}", f"{n / single['seconds']:,.0f}",
         f"{single['peak_rss_mb']:.0f}"],
        ["**end to end** (download + decrypt + load)", f"{end_to_end:.1f}", f"{n / end_to_end:,.0f}",
         f"{max(download['peak_rss_mb'], decrypt['peak_rss_mb'], load['peak_rss_mb']):.0f}"],
        ["(a) ceiling: insert_many of built documents, same indexes", f"{ceiling['value']['insert_seconds']:.1f}",
         f"{ceiling_rate:,.0f}", f"{ceiling['peak_rss_mb']:.0f}"],
        ["(b) ceiling: `gpg --decrypt | gunzip`", f"{gpg_seconds:.1f}", f"{n / gpg_seconds:,.0f}", "-"],
        [f"(c) naive: json.loads + insert_one, no index, as the old tools ({naive['value']['lines']:,} lines)",
         f"{naive['value']['seconds']:.1f}", f"{naive_rate:,.0f}", f"{naive['peak_rss_mb']:.0f}"],
        [f"(c') naive with the same 6 indexes, empty collection ({naive_indexed['value']['lines']:,} lines)",
         f"{naive_indexed['value']['seconds']:.1f}", f"{naive_indexed_rate:,.0f}",
         f"{naive_indexed['peak_rss_mb']:.0f}"],
        [f"(c'') naive into a full day's `Eventos` (same indexes, {n:,} documents; {naive_full['value']['lines']:,} lines)",
         f"{naive_full['value']['seconds']:.1f}", f"{naive_full_rate:,.0f}", f"{naive_full['peak_rss_mb']:.0f}"],
    ]
    text = "\n".join([
        f"{n:,} events ({unpacked_mb:,.0f} MB unpacked, {truth.rejected} malformed lines), one day, into a fresh "
        "mongod with the 6 indexes of `Eventos`.", "",
        table(["stage", "seconds", "events/s", "peak RSS MB"], rows), "",
        f"- load / insert ceiling: **{load_rate / ceiling_rate:.2f}** (target >= 0.6)",
        f"- load / naive loader: **{load_rate / naive_rate:.1f}x** against (c), the old tools as they were "
        f"(target >= 10x); like for like, same indexes: **{load_rate / naive_indexed_rate:.1f}x** against (c'), "
        f"**{load_rate / naive_full_rate:.1f}x** against (c'') at the size of a day",
        f"- decrypt + gunzip / `gpg | gunzip`: {gpg_seconds / decrypt['seconds']:.2f} (>1 means faster than the shell pipeline)",
        f"- peak RSS of the load (writer + parse process): {load['peak_rss_mb']:.0f} MB (target < 600 MB)",
    ])
    print(text)
    save_section("Events: a 1M-event day", text)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
