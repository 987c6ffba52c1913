"""What every lineage folder shares: the build context (config, partitions, freshness), owners, the retry
policy, metadata helpers, and the translation of domain errors into failures without retries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.config import EdxConfig
from edx_assets.defs.partitions import daily_partitions, weekly_partitions
from edx_assets.edx import arrivals, handoff, landing
from edx_assets.edx.crypto import CorruptPayloadError, DecryptionError
from edx_assets.edx.landing import DeliveryMissingError, LandedObject, S3AccessError

OWNERS = ["team:data-platform"]
# Set on every asset by definitions.py from its partitions; the daily and weekly jobs select by it.
CADENCE_TAG = "edx/cadence"
# The job of each cadence; every run of it carries JOB_TAG (whatever launched it: schedule, sensor, backfill,
# the UI), so the refresh condition can tell "updated by a run of my own job" (which computed me too) apart.
JOB_TAG = "edx/job"
JOBS = {"daily": "daily_events_job", "weekly": "weekly_courses_job"}


def cadence_job(cadence: str, description: str) -> dg.UnresolvedAssetJobDefinition:
    """The job of every asset of a cadence, its runs tagged with its name."""
    name = JOBS[cadence]
    return dg.define_asset_job(name, selection=dg.AssetSelection.tag(CADENCE_TAG, cadence), description=description,
                               run_tags={JOB_TAG: name})


@dataclass(frozen=True)
class Build:
    """What a lineage folder's `build(ctx)` receives: the config and what is made from it once."""

    config: EdxConfig
    daily: dg.DailyPartitionsDefinition
    weekly: dg.WeeklyPartitionsDefinition
    # The UI shows Eventos stale when no day landed for 36 hours, course data and reports after 8 days.
    events_freshness: dg.FreshnessPolicy
    weekly_freshness: dg.FreshnessPolicy

    @classmethod
    def of(cls, config: EdxConfig) -> Build:
        return cls(
            config=config,
            daily=daily_partitions(config),
            weekly=weekly_partitions(config),
            events_freshness=dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=config.events_fresh_hours)),
            weekly_freshness=dg.FreshnessPolicy.time_window(fail_window=timedelta(days=config.courses_fresh_days)),
        )


MONGO_POOL = "mongodb"

# S3 and MongoDB have bad minutes: retry with exponential backoff (5 s, 10 s, 20 s) and jitter.
TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)

# Errors that another attempt cannot fix: fail at once with the message, no retry.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    DeliveryMissingError, S3AccessError, DecryptionError, CorruptPayloadError, FileNotFoundError, ValueError,
)


@contextmanager
def permanent_failures():
    """Turn errors that a retry cannot fix into a dg.Failure without retries, keeping the message."""
    try:
        yield
    except PERMANENT_ERRORS as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from exc


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], limit: int = 20) -> dg.MetadataValue:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for i, row in enumerate(rows):
        if i >= limit:
            lines.append("| … |" + " |" * (len(headers) - 1))
            break
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return dg.MetadataValue.md("\n".join(lines))


def table_schema(columns: Iterable[tuple[str, str, str]]) -> dg.TableSchema:
    """A column schema from (name, type, definition) triples: the UI shows it on the asset's page."""
    return dg.TableSchema(columns=[dg.TableColumn(name, kind, description=text) for name, kind, text in columns])


def counts_table(counts: Mapping[str, int], key: str, value: str = "count", limit: int = 30) -> dg.MetadataValue:
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return markdown_table([key, value], rows, limit)


def delivery_event(delivery_asset: str, partition: str, bucket: str, key: str, etag: str, size: int,
                   last_modified: str) -> dg.AssetMaterialization:
    """edX's object seen in S3: the delivery asset's partition, with what identifies the object."""
    return dg.AssetMaterialization(
        asset_key=delivery_asset, partition=partition,
        metadata={"s3_uri": dg.MetadataValue.url(f"s3://{bucket}/{key}"), "etag": etag, "size_bytes": size,
                  "last_modified": last_modified},
    )


def landed_result(context: dg.AssetExecutionContext, landed: LandedObject, delivery_asset: str) -> dg.MaterializeResult:
    """The materialization of a raw S3 object copied to the landing area (data version = its ETag); the
    delivery asset's partition is reported too (the object exists in edX's bucket)."""
    context.log_event(delivery_event(delivery_asset, context.partition_key, landed.bucket, landed.key, landed.etag,
                                     landed.size, landed.last_modified.isoformat()))
    return dg.MaterializeResult(
        metadata={
            "s3_uri": dg.MetadataValue.url(f"s3://{landed.bucket}/{landed.key}"),
            "s3_key": landed.key,
            "size_bytes": landed.size,
            "etag": landed.etag,
            "last_modified": landed.last_modified.isoformat(),
            "downloaded": landed.downloaded,
            "landing_path": dg.MetadataValue.path(str(landed.path)),
        },
        data_version=dg.DataVersion(landed.etag),
    )


def landed_etag(instance: dg.DagsterInstance, raw_asset: str, partition: str) -> str | None:
    """The ETag of the object the raw asset last landed for this partition, or None."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(raw_asset), asset_partitions=[partition]), limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    etag = records[0].asset_materialization.metadata.get("etag")
    return str(etag.value) if etag is not None else None


@dataclass(frozen=True)
class Delivery:
    """One kind of object edX drops in S3: where it lands, which partition it is, which assets model it."""

    asset: str  # the delivery asset (s3_event_log): observed, not produced
    raw_asset: str  # the asset that lands it (raw_event_log)
    what: str  # "day's tracking log", "week's package"
    landing_folder: str  # under the workspace's landing area: "events", "courses"
    bucket: str
    prefix: str  # listed by the arrival sensor
    partitions: dg.PartitionsDefinition
    key_of: Callable[[date], str]  # the object's key for a partition day
    partition_of: Callable[[str], str | None]  # the partition of a key of this org (None: not ours)

    def spec(self, sensor: str) -> dg.AssetSpec:
        return dg.AssetSpec(self.asset, partitions_def=self.partitions, group_name="delivery", kinds={"s3"},
                            owners=OWNERS, description=(
            f"The {self.what} in edX's bucket ({self.bucket}): edX produces it, this platform only observes "
            f"it. A partition is reported when the object is seen (by the `{sensor}` sensor or when "
            f"`{self.raw_asset}` lands it), with its ETag, size and last-modified time. A partition missing "
            "here is one edX has not delivered; present here but failed downstream is ours to fix."))

    def land(self, context: dg.AssetExecutionContext, s3_client, workspace) -> dg.MaterializeResult:
        """Copy the partition's object to the landing area (what the raw asset does); a missing object
        fails at once naming bucket and key."""
        key = self.key_of(date.fromisoformat(context.partition_key))
        with permanent_failures():
            landed = landing.land(s3_client, self.bucket, key, workspace.landing_dir(self.landing_folder))
        context.log.info(f"{'downloaded' if landed.downloaded else 'unchanged, kept'} s3://{landed.bucket}/{landed.key}")
        return landed_result(context, landed, self.asset)

    def not_delivered(self, s3_client, day: date) -> dg.SkipReason | None:
        """What a schedule says instead of failing a partition edX has not delivered yet."""
        key = self.key_of(day)
        if landing.object_exists(s3_client, self.bucket, key):
            return None
        return dg.SkipReason(f"{day}: not delivered by edX yet (s3://{self.bucket}/{key}); "
                             "the arrival sensor loads it when it appears")

    def arrival_sensor(self, name: str, job, interval: int) -> dg.SensorDefinition:
        @dg.sensor(name=name, job=job, minimum_interval_seconds=interval, default_status=dg.DefaultSensorStatus.RUNNING,
                   description=f"Requests the load of the {self.what} when it appears or changes in S3, unless "
                               "already landed with the same ETag; reports every object seen as delivered.")
        def _sensor(context: dg.SensorEvaluationContext, s3: S3Resource) -> dg.SensorResult:
            objects = landing.list_objects(s3.get_client(), self.bucket, self.prefix)
            return arrival_requests(context, objects, self)

        return _sensor


def arrival_requests(context: dg.SensorEvaluationContext, objects: list[dict], delivery: Delivery) -> dg.SensorResult:
    """Run requests for the S3 objects that are new or changed since the sensor's cursor and not landed
    yet (same ETag as the raw asset's last materialization: already loaded, e.g. by the demo or a manual
    run); every object seen is reported as delivered."""
    cursor = json.loads(context.cursor) if context.cursor else None
    fresh, next_cursor = arrivals.new_arrivals(objects, cursor)
    existing = set(delivery.partitions.get_partition_keys(current_time=datetime.now(UTC)))
    requests, skipped, landed, deliveries = [], [], [], []
    for arrival in fresh:
        partition = delivery.partition_of(arrival.key)
        if partition is None:
            continue  # not a delivery of this org/site
        if partition not in existing:
            skipped.append(arrival.key)
            continue
        deliveries.append(delivery_event(delivery.asset, partition, delivery.bucket, arrival.key, arrival.etag,
                                         arrival.size, arrival.last_modified.isoformat()))
        if landed_etag(context.instance, delivery.raw_asset, partition) == arrival.etag:
            landed.append(partition)
            continue
        requests.append(dg.RunRequest(run_key=arrival.ident, partition_key=partition,
                                      tags={"edx/s3_key": arrival.key, "edx/etag": arrival.etag}))
    if skipped:
        context.log.info(f"outside the partitions (before EDX_PARTITIONS_START or not yet a partition): {skipped}")
    if landed:
        context.log.info(f"already landed with the same ETag, not requested again: {sorted(landed)}")
    return dg.SensorResult(run_requests=requests, asset_events=deliveries, cursor=json.dumps(next_cursor))


def expire_decrypted(context: dg.AssetExecutionContext, root: Path, config: EdxConfig) -> list[str]:
    """Remove what failed or partial runs of a decrypting step left under `root` (decrypted/<kind>/), the
    current partition's folder aside, after EDX_DECRYPTED_RETENTION_HOURS; the partitions removed."""
    expired = handoff.expire(root, context.partition_key, config.decrypted_retention_hours)
    if expired:
        context.log.info(f"decrypted partitions left by earlier runs removed: {', '.join(expired)}")
    return expired
