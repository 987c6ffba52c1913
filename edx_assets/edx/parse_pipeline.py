"""The parse stage of an event load: read, parse, normalise and BSON-encode a tracking log in batches, in
this process or in other processes (other cores) while the loading process inserts; bounded memory."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

import bson
import bson.errors

from edx_assets.edx import tracking_log as tl
from edx_assets.edx.event_protection import Protection
from edx_assets.edx.line_runs import add_to_runs

BATCH = 5000
QUEUE_BATCHES = 4  # parsed batches waiting for the writer: bounds memory


@dataclass
class ParsedBatch:
    """Documents already encoded as BSON, with their (line, byte offset), plus the rejected lines."""

    docs: list[bytes] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)
    rejects: list[tl.Rejection] = field(default_factory=list)
    last_line: int = 0
    blank_runs: list[list[int]] = field(default_factory=list)
    prefixed: int = 0
    retired: int = 0

    @property
    def blank(self) -> int:
        return sum(last - first + 1 for first, last in self.blank_runs)


def parsed_batches(path: Path, *, partition: str, load_id: str, source_name: str, batch_size: int = BATCH,
                   start: int = 0, stop: int | None = None, first_line: int = 1,
                   protection: Protection | None = None) -> Iterator[ParsedBatch]:
    """The parse stage: read, parse, normalise and BSON-encode, in batches (no database needed).

    `start`/`stop` (byte offsets of line starts) and `first_line` (the number of the line at `start`)
    select a part of the file, so that several processes can parse one file (`file_parts`).
    `protection`: EDX_STORE_PII and retired learners (None or idle: events stored as delivered).
    """
    protect = None if protection is None or protection.idle else protection
    encode, split_line, reject = tl.encode, tl.split_line, tl.reject
    end = (1 << 62) if stop is None else stop
    batch = ParsedBatch(last_line=first_line - 1)
    docs, lines, rejects = batch.docs, batch.lines, batch.rejects
    offset, line_no = start, first_line - 1
    with path.open("rb") as handle:
        handle.seek(start)
        for raw in handle:
            if offset >= end:
                break
            line_no += 1
            here = offset
            offset += len(raw)
            if raw.isspace():  # (no copy of the line, unlike strip)
                add_to_runs(batch.blank_runs, line_no)
                continue
            obj, reason, prefixed = split_line(raw)
            if obj is None:
                rejects.append(reject(line_no, raw, reason or "unreadable"))
            else:
                try:
                    data = encode(obj, partition=partition, source_file=source_name, line=line_no,
                                  load_id=load_id, protect=protect)
                except (bson.errors.InvalidDocument, OverflowError, ValueError) as exc:
                    rejects.append(reject(line_no, raw, f"cannot be stored as BSON: {exc}"[:300]))
                else:
                    if prefixed:
                        batch.prefixed += 1
                    if data is None:  # a retired learner's event: counted, not stored
                        batch.retired += 1
                    else:
                        docs.append(data)
                        lines.append((line_no, here))
            if len(docs) >= batch_size or len(rejects) >= batch_size:
                batch.last_line = line_no
                yield batch
                batch = ParsedBatch(last_line=line_no)
                docs, lines, rejects = batch.docs, batch.lines, batch.rejects
    batch.last_line = line_no
    yield batch


PART_BYTES = 16 << 20  # a parse process's unit of work when several parse one file
PARSER_CHECK_SECONDS = 5  # how often a waiting load checks that its parse processes are alive


def file_parts(path: Path, part_bytes: int | None = None) -> list[tuple[int, int, int]]:
    """(start, stop, first line) of consecutive parts of about `part_bytes`, cut at line ends: one pass
    counting newlines (C speed), so that each parse process numbers its lines as the file does."""
    parts, start, line = [], 0, 1
    part_bytes = part_bytes or PART_BYTES
    with path.open("rb") as handle:
        while block := handle.read(part_bytes):
            block += handle.readline()  # finish the part's last line
            parts.append((start, start + len(block), line))
            line += block.count(b"\n")
            start += len(block)
    return parts


def _parse_worker(args: tuple, out) -> None:
    path, partition, load_id, source_name, batch_size, parts, protection = args
    try:
        for start, stop, first_line in parts:
            for batch in parsed_batches(Path(path), partition=partition, load_id=load_id, source_name=source_name,
                                        batch_size=batch_size, start=start, stop=stop, first_line=first_line,
                                        protection=protection):
                out.put(batch)
            out.put(None)  # this part is done
    except BaseException as exc:
        out.put(RuntimeError(f"{source_name}: parsing failed: {type(exc).__name__}: {exc}"))


class _in_child_processes:
    """Runs the parse stage in other processes (other cores) while this one inserts.

    One process parses the whole file (the default: on a machine shared with mongod, one parser and
    mongod fill the cores); with `parsers` > 1 the file is cut into parts dealt out in turn, and the
    batches are read back part by part, so they arrive in file order whatever the number of processes.
    Each queue holds at most a few batches, so memory stays bounded whatever the file size.
    """

    def __init__(self, path: Path, partition: str, load_id: str, source_name: str, batch_size: int,
                 parsers: int = 1, protection: Protection | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        parts = file_parts(path) if parsers > 1 else [(0, None, 1)]
        self.parts = len(parts)
        self.parsers = max(1, min(parsers, self.parts))
        self.queues = [context.Queue(maxsize=QUEUE_BATCHES) for _ in range(self.parsers)]
        self.processes = [
            context.Process(target=_parse_worker, daemon=True, args=(
                (str(path), partition, load_id, source_name, batch_size, parts[k::self.parsers], protection),
                self.queues[k]))
            for k in range(self.parsers)
        ]
        for process in self.processes:
            process.start()
        for queue in self.queues:
            # This process only reads: closing its copy of the pipe's writing end lets a parse process's death
            # show as the end of the pipe, even in the middle of a batch, instead of a read that never ends.
            queue._writer.close()

    def __iter__(self) -> Iterator[ParsedBatch]:
        for part in range(self.parts):
            while (item := self._next(part % self.parsers)) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item

    def _next(self, k: int):
        """The next item of parse process `k`; a process that died without a word (killed, out of memory)
        fails the load instead of leaving it waiting forever."""
        while True:
            try:
                return self.queues[k].get(timeout=PARSER_CHECK_SECONDS)
            except Empty:
                if self.processes[k].is_alive():
                    continue
            except (EOFError, OSError):  # the pipe ended, maybe in the middle of a batch
                pass
            self.processes[k].join(timeout=10)
            raise RuntimeError(f"the parse process stopped (exit code {self.processes[k].exitcode}) "
                               "before the end of its part of the file")

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                # SIGKILL: a parse process holds nothing to clean up, and SIGTERM may be ignored (Dagster maps
                # SIGTERM to SIGINT's handler, which a shell's background job ignores; children inherit that).
                process.kill()
            process.join(timeout=10)
        for queue in self.queues:
            queue.close()
