"""Shared benchmark helpers: a private local stack, stage timing with peak memory, machine description."""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from queue import Empty
from typing import Any

import psutil

from edx_assets.local.stack import LocalStack, free_port

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def plain_event_day(tmp: Path, day: date, events: int) -> tuple[Path, str]:
    """A sample day of `events` events (5,000 learners, 20 malformed lines) as the decrypted file a load
    reads, and its SHA-256."""
    from edx_assets.local.sample import write_event_log
    from edx_assets.local.sample_world import SampleSpec, SampleWorld

    spec = SampleSpec(start=day, end=day, learners=5000, events_per_day=events, malformed_per_day=20)
    packed, log = tmp / "day.log.gz", tmp / "day.log"
    write_event_log(SampleWorld(spec), day, packed, compresslevel=1)
    with gzip.open(packed, "rb") as source, log.open("wb") as target:
        shutil.copyfileobj(source, target, 1 << 20)
    return log, hashlib.sha256(log.read_bytes()).hexdigest()


@contextmanager
def local_stack():
    """A fresh mongod and S3 server in a temporary folder, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="edx-bench-") as tmp:
        stack = LocalStack(home=Path(tmp) / "stack", mongo_port=free_port(), s3_port=free_port())
        stack.up()
        try:
            yield stack, Path(tmp)
        finally:
            stack.down()


def _child(target: Callable[..., Any], args: tuple, out) -> None:
    started = time.perf_counter()
    try:
        value = target(*args)
    except BaseException as exc:
        import traceback

        out.put({"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"})
        return
    out.put({"seconds": time.perf_counter() - started, "value": value})


def _tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def measure(target: Callable[..., Any], *args: Any) -> dict:
    """Run `target(*args)` in a fresh process: wall seconds, peak RSS in MB (the process and the
    processes it starts, summed, sampled every 50 ms) and what it returned (must be picklable).

    (getrusage's ru_maxrss is not used: on Linux a spawned child inherits its parent's high-water mark.)
    """
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(target, args, queue))
    process.start()
    peak = 0
    while True:
        peak = max(peak, _tree_rss(process.pid))
        try:
            result = queue.get(timeout=0.05)
            break
        except Empty:
            if not process.is_alive() and queue.empty():
                raise RuntimeError(f"{getattr(target, '__name__', target)} died without a result") from None
    process.join()
    result["peak_rss_mb"] = peak / 2**20
    if "error" in result:
        raise RuntimeError(f"{getattr(target, '__name__', target)} failed: {result['error']}")
    return result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return (f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def save_section(name: str, markdown: str) -> None:
    """Replace the section `name` of RESULTS.md (sections are kept between runs of other scripts)."""
    sections: dict[str, str] = {}
    if RESULTS.exists():
        current = None
        for line in RESULTS.read_text().splitlines():
            if line.startswith("## "):
                current = line[3:].strip()
                sections[current] = ""
            elif current is not None:
                sections[current] += line + "\n"
    sections[name] = "\n" + markdown.strip() + "\n\n"
    body = ["# Benchmark results", "",
            "Written by `make bench` (each script replaces its own section). Ratios to the ceilings are the",
            "headline; absolute numbers depend on the machine.", "", f"Machine: {machine()}", ""]
    for title, text in sections.items():
        body += [f"## {title}", text.rstrip(), ""]
    RESULTS.write_text("\n".join(body))


def dump(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)
