"""Load a decrypted tracking log into the events collection, idempotently and in bounded memory.

Each document's `_id` is `{partition}:{load}:{line}` where `load` names the file's content (sha256)
and the parser version. A load inserts the whole file with unordered batches, ignoring documents
already present (a crashed run's), and only then deletes the partition's documents of any other load.
So a re-run of the same file inserts nothing new, a crash followed by a re-run leaves exact counts, and
readers keep seeing the previous good day until the new one is complete.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bson.raw_bson import RawBSONDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import tracking_log as tl
from edx_assets.edx.event_indexes import ensure_indexes
from edx_assets.edx.event_protection import Protection
from edx_assets.edx.eventos_reads import LOADS_COLLECTION, marker_id
from edx_assets.edx.line_runs import add_to_runs, format_runs, parse_runs
from edx_assets.edx.parse_pipeline import BATCH, ParsedBatch, _in_child_processes, parsed_batches
from edx_assets.edx.privacy import StorePolicy

WRITERS = 2
PIPELINE_MIN_BYTES = 8 << 20  # smaller files are parsed in-process (a second process costs ~0.3 s)
DUPLICATE_KEY = 11000
# Server errors that refuse a document for what it is (too deep, too large, invalid): not transient.
REFUSED_COMMAND_CODES = {2, 10334, 15, 17419, 17280}



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
    retired: int = 0  # valid lines of retired learners, not stored
    removed_stale: int = 0
    unchanged: bool = False
    store_pii: str = "keep"
    rejection_reasons: Counter = field(default_factory=Counter)

    @property
    def blank_lines(self) -> str:
        """Where the blank lines are, as `3,10-12` (line numbers, runs joined): the load record keeps it."""
        return format_runs(self.blank_runs)

    @property
    def stored(self) -> int:
        """Documents of this load in the collection: the file's valid lines."""
        return self.inserted + self.already_present


def load_id_for(sha256: str, store: StorePolicy | None = None) -> str:
    """The file's hash, the parser's version and, under EDX_STORE_PII, the mode's tag: a change of any
    of them makes a new load of the day (its documents replace the old ones)."""
    return f"{sha256[:16]}p{tl.PARSER_VERSION}{store.tag if store else ''}"


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
    parsers: int = 1,
    protection: Protection | None = None,
) -> EventLoadResult:
    """Load `path` (a decrypted day) as partition `partition` of `collection`.

    `parsers`: processes parsing the file while this one inserts (`EDX_EVENTS_PARSERS`; more than one
    pays when mongod runs on another host). Documents, ids and counts are the same for any number.
    `protection`: the EDX_STORE_PII mode and the retired learners whose events are not stored (counted).
    """
    protection = protection or Protection()
    events = db[collection]
    rejected = db[f"{collection}_rejected"]
    markers = db[LOADS_COLLECTION]
    ensure_indexes(events, rejected)
    load_id = load_id_for(sha256, protection.store)
    result = EventLoadResult(partition, load_id, store_pii=protection.store.mode)

    marker = markers.find_one({"_id": marker_id(collection, partition)})
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
            result.retired = int(marker.get("retired", 0))
            result.rejection_reasons = Counter(marker.get("rejection_reasons", {}))
            return result

    markers.update_one(
        {"_id": marker_id(collection, partition)},
        {"$set": {"load": load_id, "complete": False, "started": datetime.now(UTC)}},
        upsert=True,
    )
    batches = parsed_batches(path, partition=partition, load_id=load_id, source_name=source_name,
                             batch_size=batch_size, protection=protection)
    if pipelined is None:
        pipelined = path.stat().st_size >= PIPELINE_MIN_BYTES
    if pipelined or parsers > 1:
        batches = _in_child_processes(path, partition, load_id, source_name, batch_size, parsers, protection)
    # Two writers: while one batch is on the wire (the GIL released), the next is sent.
    pending: deque[tuple[ParsedBatch, Future]] = deque()

    def settle(batch: ParsedBatch, future: Future) -> None:
        inserted, duplicates, refused = future.result()
        result.inserted += inserted
        result.already_present += duplicates
        rejects = [protection.rejection(r) for r in (*batch.rejects, *refused)]
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
                result.retired += batch.retired
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
        {"_id": marker_id(collection, partition)},
        {"$set": {
            "load": load_id, "complete": True, "finished": datetime.now(UTC), "stored": result.stored,
            "rejected": result.rejected, "lines": result.lines, "blank": result.blank,
            "blank_lines": result.blank_lines,
            "prefixed": result.prefixed, "rejection_reasons": dict(result.rejection_reasons),
            "file": source_name, "retired": result.retired, "store_pii": result.store_pii,
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
