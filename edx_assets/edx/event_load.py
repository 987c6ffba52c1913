"""Load a decrypted tracking log into the events collection, idempotently and in bounded memory.

Each document's `_id` is `{partition}:{load}:{line}` where `load` names the file's content (sha256)
and the parser version. A load inserts the whole file with unordered batches, ignoring documents
already present (a crashed run's), and only then deletes the partition's documents of any other load.
So a re-run of the same file inserts nothing new, a crash followed by a re-run leaves exact counts, and
readers keep seeing the previous good day until the new one is complete.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bson
import bson.errors
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import tracking_log as tl

LOADS_COLLECTION = "_edx_loads"
BATCH = 5000
WRITERS = 2
QUEUE_BATCHES = 4  # parsed batches waiting for the writer: bounds memory
PIPELINE_MIN_BYTES = 8 << 20  # smaller files are parsed in-process (a second process costs ~0.3 s)
DUPLICATE_KEY = 11000
# Server errors that refuse a document for what it is (too deep, too large, invalid): not transient.
REFUSED_COMMAND_CODES = {2, 10334, 15, 17419, 17280}

EVENT_INDEXES = [
    IndexModel([(ev.PARTITION, ASCENDING), (ev.LOAD, ASCENDING)], name="partition_load"),
    IndexModel([(ev.COURSE_ID, ASCENDING), (ev.TIME, ASCENDING)], name="course_time"),
    IndexModel([(ev.USER_ID, ASCENDING), (ev.TIME, ASCENDING)], name="user_time"),
    IndexModel([("username", ASCENDING)], name="username"),
    IndexModel([(ev.EVENT_TYPE, ASCENDING)], name="event_type"),
    IndexModel([(ev.TIME, ASCENDING)], name="time"),
]
REJECTED_INDEXES = [IndexModel([("partition", ASCENDING), ("load", ASCENDING)], name="partition_load")]


class LoadIncompleteError(RuntimeError):
    """Fewer documents are stored than MongoDB acknowledged; transient (a re-run completes the load)."""


@dataclass
class EventLoadResult:
    partition: str
    load_id: str
    lines: int = 0
    inserted: int = 0
    already_present: int = 0
    rejected: int = 0
    blank: int = 0
    blank_runs: list[list[int]] = field(default_factory=list)  # [first, last] line numbers
    prefixed: int = 0
    removed_stale: int = 0
    unchanged: bool = False
    rejection_reasons: Counter = field(default_factory=Counter)

    @property
    def blank_lines(self) -> str:
        """Where the blank lines are, as `3,10-12` (line numbers, runs joined): the load record keeps it."""
        return format_runs(self.blank_runs)

    @property
    def stored(self) -> int:
        """Documents of this load in the collection: the file's valid lines."""
        return self.inserted + self.already_present


def add_to_runs(runs: list[list[int]], line: int) -> None:
    """Append a line number (ascending) to [first, last] runs."""
    if runs and runs[-1][1] == line - 1:
        runs[-1][1] = line
    else:
        runs.append([line, line])


def format_runs(runs: list[list[int]]) -> str:
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def parse_runs(text: str) -> list[list[int]]:
    runs = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        runs.append([int(first), int(last or first)])
    return runs


def load_id_for(sha256: str) -> str:
    return f"{sha256[:16]}p{tl.PARSER_VERSION}"


def ensure_indexes(events: Collection, rejected: Collection) -> None:
    events.create_indexes(EVENT_INDEXES)
    rejected.create_indexes(REJECTED_INDEXES)


def id_ranges(partition: str, load_id: str, parts: int = 2) -> list[dict]:
    """`_id` conditions splitting one load's documents into `parts` disjoint ranges that cover them all
    (ids are `{partition}:{load}:{line}`: the line's first digits split them, `;` sorts after every digit),
    for reading a day with several cursors at once."""
    cuts = {1: ["0"], 2: ["0", "5"], 3: ["0", "3", "6"], 4: ["0", "25", "5", "75"]}[parts] + [";"]
    prefix = f"{partition}:{load_id}:"
    return [{"_id": {"$gte": prefix + low, "$lt": prefix + high}} for low, high in itertools.pairwise(cuts)]


def _marker_id(collection: str, partition: str) -> str:
    return f"{collection}:{partition}"


@dataclass
class ParsedBatch:
    """Documents already encoded as BSON, with their (line, byte offset), plus the rejected lines."""

    docs: list[bytes] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)
    rejects: list[tl.Rejection] = field(default_factory=list)
    last_line: int = 0
    blank_runs: list[list[int]] = field(default_factory=list)
    prefixed: int = 0

    @property
    def blank(self) -> int:
        return sum(last - first + 1 for first, last in self.blank_runs)


def parsed_batches(path: Path, *, partition: str, load_id: str, source_name: str,
                   batch_size: int = BATCH) -> Iterator[ParsedBatch]:
    """The parse stage: read, parse, normalise and BSON-encode, in batches (no database needed)."""
    batch = ParsedBatch()
    offset = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            here, offset = offset, offset + len(raw)
            batch.last_line = line_no
            if not raw.strip():
                add_to_runs(batch.blank_runs, line_no)
                continue
            obj, reason, prefixed = tl.split_line(raw)
            if obj is None:
                batch.rejects.append(tl.reject(line_no, raw, reason or "unreadable"))
            else:
                doc = tl.normalize(obj, partition=partition, source_file=source_name, line=line_no,
                                   load_id=load_id)
                try:
                    batch.docs.append(bson.encode(doc))
                except (bson.errors.InvalidDocument, OverflowError, ValueError) as exc:
                    batch.rejects.append(tl.reject(line_no, raw, f"cannot be stored as BSON: {exc}"[:300]))
                else:
                    batch.lines.append((line_no, here))
                    batch.prefixed += prefixed
            if len(batch.docs) >= batch_size or len(batch.rejects) >= batch_size:
                yield batch
                batch = ParsedBatch(last_line=line_no)
    yield batch


def _parse_worker(args: tuple, out) -> None:
    path, partition, load_id, source_name, batch_size = args
    try:
        for batch in parsed_batches(Path(path), partition=partition, load_id=load_id, source_name=source_name,
                                    batch_size=batch_size):
            out.put(batch)
        out.put(None)
    except BaseException as exc:
        out.put(RuntimeError(f"{source_name}: parsing failed: {type(exc).__name__}: {exc}"))


class _in_child_process:
    """Runs the parse stage in another process (another core) while this one inserts.

    The queue holds at most a few batches, so memory stays bounded whatever the file size.
    """

    def __init__(self, path: Path, partition: str, load_id: str, source_name: str, batch_size: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.queue = context.Queue(maxsize=QUEUE_BATCHES)
        self.process = context.Process(target=_parse_worker, daemon=True,
                                       args=((str(path), partition, load_id, source_name, batch_size), self.queue))
        self.process.start()

    def __iter__(self) -> Iterator[ParsedBatch]:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=10)
        self.queue.close()


def load_events(
    db: Database,
    path: Path,
    *,
    collection: str,
    partition: str,
    sha256: str,
    source_name: str,
    batch_size: int = BATCH,
    progress: Callable[[int], None] | None = None,
    pipelined: bool | None = None,
) -> EventLoadResult:
    """Load `path` (a decrypted day) as partition `partition` of `collection`."""
    events = db[collection]
    rejected = db[f"{collection}_rejected"]
    markers = db[LOADS_COLLECTION]
    ensure_indexes(events, rejected)
    load_id = load_id_for(sha256)
    result = EventLoadResult(partition, load_id)

    marker = markers.find_one({"_id": _marker_id(collection, partition)})
    if marker and marker.get("load") == load_id and marker.get("complete"):
        present = events.count_documents({ev.PARTITION: partition, ev.LOAD: load_id})
        if present == marker["stored"]:
            result.unchanged = True
            result.already_present = present
            result.rejected = int(marker.get("rejected", 0))
            result.lines = int(marker.get("lines", 0))
            # The count is kept apart from the positions: load records written before positions were
            # recorded still hold the right count.
            result.blank = int(marker.get("blank", 0))
            result.blank_runs = parse_runs(marker.get("blank_lines", ""))
            result.prefixed = int(marker.get("prefixed", 0))
            result.rejection_reasons = Counter(marker.get("rejection_reasons", {}))
            return result

    markers.update_one(
        {"_id": _marker_id(collection, partition)},
        {"$set": {"load": load_id, "complete": False, "started": datetime.now(UTC)}},
        upsert=True,
    )
    batches = parsed_batches(path, partition=partition, load_id=load_id, source_name=source_name,
                             batch_size=batch_size)
    if pipelined is None:
        pipelined = path.stat().st_size >= PIPELINE_MIN_BYTES
    if pipelined:
        batches = _in_child_process(path, partition, load_id, source_name, batch_size)
    # Two writers: while one batch is on the wire (the GIL released), the next is sent.
    pending: deque[tuple[ParsedBatch, Future]] = deque()

    def settle(batch: ParsedBatch, future: Future) -> None:
        inserted, duplicates, refused = future.result()
        result.inserted += inserted
        result.already_present += duplicates
        rejects = [*batch.rejects, *refused]
        if rejects:
            _insert_rejections(rejected, rejects, partition, load_id, source_name, result)
        if progress:
            progress(batch.last_line)

    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="eventos-writer") as writers:
        try:
            for batch in batches:
                result.lines = batch.last_line
                result.blank += batch.blank
                for first, last in batch.blank_runs:  # a run may go on across batches
                    add_to_runs(result.blank_runs, first)
                    result.blank_runs[-1][1] = last
                result.prefixed += batch.prefixed
                pending.append((batch, writers.submit(_insert_docs, events, batch, path)))
                while len(pending) >= WRITERS:
                    settle(*pending.popleft())
            while pending:
                settle(*pending.popleft())
        finally:
            for _, future in pending:
                future.cancel()
            close = getattr(batches, "close", None)
            if close:
                close()

    # MongoDB acknowledges a write before its journal is flushed (w:1): a crash of mongod right after
    # can lose acknowledged batches. Count what is really there before calling the load complete.
    present = events.count_documents({ev.PARTITION: partition, ev.LOAD: load_id})
    if present != result.stored:
        raise LoadIncompleteError(
            f"{source_name}: {result.stored} documents were acknowledged but {present} are stored "
            "(MongoDB restarted during the load?); run the load again: it inserts only what is missing"
        )
    # The new load is complete: only now remove what older loads left for this partition.
    stale = {ev.PARTITION: partition, ev.LOAD: {"$ne": load_id}}
    result.removed_stale = events.delete_many(stale).deleted_count
    rejected.delete_many({"partition": partition, "load": {"$ne": load_id}})
    markers.update_one(
        {"_id": _marker_id(collection, partition)},
        {"$set": {
            "load": load_id, "complete": True, "finished": datetime.now(UTC), "stored": result.stored,
            "rejected": result.rejected, "lines": result.lines, "blank": result.blank,
            "blank_lines": result.blank_lines,
            "prefixed": result.prefixed, "rejection_reasons": dict(result.rejection_reasons),
            "file": source_name,
        }},
    )
    return result


def _insert_docs(events: Collection, batch: ParsedBatch, path: Path) -> tuple[int, int, list[tl.Rejection]]:
    """Insert a batch; returns (inserted, already present, lines MongoDB refused)."""
    if not batch.docs:
        return 0, 0, []
    docs = [RawBSONDocument(data) for data in batch.docs]  # encoded by the parse stage
    try:
        events.insert_many(docs, ordered=False)  # (pymongo lists no inserted_ids for raw BSON)
        return len(docs), 0, []
    except BulkWriteError as exc:
        details = exc.details
    except OperationFailure as exc:
        if exc.code not in REFUSED_COMMAND_CODES:
            raise
        # The server refused the whole batch command (one document too deep to even parse):
        # insert one by one so that only the offending documents are quarantined.
        details = _insert_one_by_one(events, docs)
    duplicates = 0
    refused = []
    for error in details.get("writeErrors", []):
        if error.get("code") == DUPLICATE_KEY:
            duplicates += 1
            continue
        # MongoDB refused this one document (nested too deep, too large...): quarantine its line.
        line_no, offset = batch.lines[error["index"]]
        refused.append(tl.reject(line_no, _line_at(path, offset),
                                 f"MongoDB refused the document: {error.get('errmsg', '')[:300]}"))
    return int(details.get("nInserted", 0)), duplicates, refused


def _line_at(path: Path, offset: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.readline()


def _insert_one_by_one(events: Collection, docs: list[dict]) -> dict:
    inserted, errors = 0, []
    for index, doc in enumerate(docs):
        try:
            events.insert_one(doc)
            inserted += 1
        except DuplicateKeyError:
            errors.append({"index": index, "code": DUPLICATE_KEY})
        except OperationFailure as exc:
            if exc.code not in REFUSED_COMMAND_CODES and exc.code is not None:
                raise
            errors.append({"index": index, "code": exc.code, "errmsg": str(exc.details.get("errmsg", exc))
                           if exc.details else str(exc)})
    return {"nInserted": inserted, "writeErrors": errors}


def _insert_rejections(rejected: Collection, rejects: list[tl.Rejection], partition: str, load_id: str,
                       source_name: str, result: EventLoadResult) -> None:
    documents = [
        {"_id": f"{partition}:{load_id}:{r.line}", "partition": partition, "load": load_id,
         "file": source_name, "line": r.line, "reason": r.reason, "raw": r.raw, "raw_bytes": r.raw_bytes}
        for r in rejects
    ]
    for r in rejects:
        result.rejection_reasons[r.reason.split(":")[0]] += 1
    result.rejected += len(documents)
    try:
        rejected.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        others = [e for e in exc.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY]
        if others:
            raise
