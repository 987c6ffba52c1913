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
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty

import bson
import bson.errors
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import tracking_log as tl
from edx_assets.edx.geo import GeoLocator, Location
from edx_assets.edx.privacy import StorePolicy

LOADS_COLLECTION = "_edx_loads"
BATCH = 5000
WRITERS = 2
QUEUE_BATCHES = 4  # parsed batches waiting for the writer: bounds memory
PIPELINE_MIN_BYTES = 8 << 20  # smaller files are parsed in-process (a second process costs ~0.3 s)
DUPLICATE_KEY = 11000
INDEX_NOT_FOUND = 27
# Server errors that refuse a document for what it is (too deep, too large, invalid): not transient.
REFUSED_COMMAND_CODES = {2, 10334, 15, 17419, 17280}

# The indexes every load keeps on `Eventos`, each for a query that needs it (README: "Indexes"). Every
# secondary index costs each insert its upkeep (on a 2-core machine six cost MongoDB ~3x the CPU of one).
EVENT_INDEXES = [
    # the idempotent reload (a day's load and its stale documents) and every per-day read: learner_day,
    # learner_ips, the eventos checks and summary
    IndexModel([(ev.PARTITION, ASCENDING), (ev.LOAD, ASCENDING)], name="partition_load"),
    # enrollment_daily reads the enrollment events of all history: a partial index holds only those
    IndexModel([(ev.EVENT_TYPE, ASCENDING), (ev.TIME, ASCENDING)], name="enrollment_events",
               partialFilterExpression={ev.EVENT_TYPE: {"$in": list(ev.ENROLLMENT_EVENTS)}}),
    # ... and their mode changes (a separate partial index: the one above keeps its definition)
    IndexModel([(ev.EVENT_TYPE, ASCENDING), (ev.TIME, ASCENDING)], name="enrollment_mode_changes",
               partialFilterExpression={ev.EVENT_TYPE: ev.MODE_CHANGED}),
]
# Opt-in indexes for analysts' own queries (EDX_EVENTS_EXTRA_INDEXES lists names from here or key specs):
# built after a load, then kept up by every later insert.
EXTRA_INDEXES = {
    "course_time": [(ev.COURSE_ID, ASCENDING), (ev.TIME, ASCENDING)],  # a course over a period
    "user_time": [(ev.USER_ID, ASCENDING), (ev.TIME, ASCENDING)],  # one learner's trail
    "username": [("username", ASCENDING)],  # a learner by username
    "event_type": [(ev.EVENT_TYPE, ASCENDING)],  # an event type over all history
    "time": [(ev.TIME, ASCENDING)],  # a period across courses
}
CUSTOM_PREFIX = "extra:"  # the name of an index made from a key spec


def extra_index(spec: str) -> IndexModel:
    """An opt-in index from its catalog name (`course_time`) or a key spec: fields joined by `+`, each
    optionally `:-1` for descending (`_edx.course_id+_edx.event_type`, `context.org_id:1+_edx.time:-1`)."""
    spec = spec.strip()
    if spec in EXTRA_INDEXES:
        return IndexModel(EXTRA_INDEXES[spec], name=spec)
    keys = []
    for part in spec.split("+"):
        field, _, direction = part.strip().partition(":")
        if not field or field.startswith("$") or direction not in ("", "1", "-1"):
            raise ValueError(f"EDX_EVENTS_EXTRA_INDEXES: {spec!r} is neither an index name "
                             f"({', '.join(EXTRA_INDEXES)}) nor fields joined by + (field or field:-1)")
        keys.append((field, -1 if direction == "-1" else ASCENDING))
    return IndexModel(keys, name=CUSTOM_PREFIX + "+".join(f"{f}:{d}" for f, d in keys))


def drop_unwanted_indexes(events: Collection, wanted: Sequence[str]) -> list[str]:
    """Before a load: drop the opt-in indexes the setting no longer lists (including those older releases
    built by default), so that the load does not pay their upkeep. Returns their names."""
    names = {extra_index(spec).document["name"] for spec in wanted}
    dropped = []
    for name in sorted(set(events.index_information()) - names):
        if name in EXTRA_INDEXES or name.startswith(CUSTOM_PREFIX):
            try:
                events.drop_index(name)
            except OperationFailure as exc:
                if exc.code != INDEX_NOT_FOUND:  # (another run dropped it first)
                    raise
            dropped.append(name)
    return dropped


def build_extra_indexes(events: Collection, wanted: Sequence[str]) -> list[str]:
    """After a load: build the opt-in indexes the setting lists that are missing (MongoDB builds them
    without blocking readers or writers; later inserts keep them up). Returns their names."""
    present = set(events.index_information())
    missing = [model for model in map(extra_index, wanted) if model.document["name"] not in present]
    if missing:
        events.create_indexes(missing)
    return [model.document["name"] for model in missing]


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


def load_id_for(sha256: str, store: StorePolicy | None = None) -> str:
    """The file's hash, the parser's version and, under EDX_STORE_PII, the mode's tag: a change of any
    of them makes a new load of the day (its documents replace the old ones)."""
    return f"{sha256[:16]}p{tl.PARSER_VERSION}{store.tag if store else ''}"


_LOCATOR: GeoLocator | None = None
USER_ID_IN_TEXT = r'"user_id"\s*:\s*"?'  # then the id: how a quarantined line's text carries it
_USER_ID_IN_TEXT = re.compile(USER_ID_IN_TEXT + r"(\d{1,18})\b")


def _locate(ip: str) -> Location | None:
    """The offline IP lookup, its database opened once per process (StorePolicy remembers each address)."""
    global _LOCATOR
    if _LOCATOR is None:
        _LOCATOR = GeoLocator()
    return _LOCATOR.locate(ip)


@dataclass(frozen=True)
class Protection:
    """What a load does to personal data before storing an event: the EDX_STORE_PII mode, and skipping
    the events of retired learners (their user ids). Picklable: parse processes receive it."""

    store: StorePolicy = field(default_factory=StorePolicy)
    retired: frozenset[int] = frozenset()

    @property
    def idle(self) -> bool:
        return self.store.keeps and not self.retired

    def __call__(self, doc: dict, derived: dict) -> bool:
        if derived["user_id"] in self.retired:
            return False
        if not self.store.keeps:
            self.store.event(doc, derived, _locate)
        return True

    def rejection(self, rejection: tl.Rejection) -> tl.Rejection:
        """A quarantined line as stored: its text follows the mode too, and the text of a retired learner's
        line (found by the user id it carries) is not kept."""
        raw = rejection.raw
        if self.retired and any(int(i) in self.retired for i in _USER_ID_IN_TEXT.findall(raw)):
            raw = ""
        elif not self.store.keeps:
            raw = self.store.text(raw)
        return rejection if raw is rejection.raw else tl.Rejection(rejection.line, rejection.reason, raw,
                                                                   rejection.raw_bytes)


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


def marker_id(collection: str, partition: str) -> str:
    return f"{collection}:{partition}"


def loaded_days(db: Database, collection: str, before: str) -> list[str]:
    """The days before `before` whose file was loaded completely into `collection` (its load records),
    whether or not any event of them counts as a learner's activity."""
    prefix = f"{collection}:"
    ids = db[LOADS_COLLECTION].distinct("_id", {"_id": {"$gte": prefix, "$lt": f"{prefix}{before}"}, "complete": True})
    return sorted(i[len(prefix):] for i in ids)


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
