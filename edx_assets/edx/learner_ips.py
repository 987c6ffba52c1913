"""learner_ips: per learner and IP, how many events carried it, when it was first seen and when an
enrollment activation came from it, over every day before a week's Sunday, kept week by week.

What `learner_locations_report` chooses each learner's registration and modal IP from, without reading
the events' history: ips(week W) = ips(W - 7 days) + the `Eventos` days of the 7 days before W, grouped
by MongoDB (a week of events, through the partition index). Without last week's (the first week, or a
gap), every stored day before W is grouped once. Days count by the day the events were filed under.

These documents hold IP addresses (personal data): they stay in MongoDB, next to `Eventos` which holds
them too, and are never written to a report file. Under EDX_STORE_PII=pseudonymize or minimize the events
hold only each address's network, and the place found from the whole address at load time
(`_edx.ip_country_code`, `ip_country`, `ip_city`): it is carried here (`country_code`, `country`, `city`)
so that learner locations come from the whole address, not from the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
import pyarrow as pa
from pymongo import ASCENDING, IndexModel
from pymongo.database import Database
from pymongoarrow.api import Schema, aggregate_polars_all

from edx_assets.edx import eventos_schema as ev
from edx_assets.edx import partition_store
from edx_assets.edx.reports import frames

COLLECTION = "learner_ips"
ACTIVATION = "edx.course.enrollment.activated"
KEYS = ["user_id", "ip"]
SCHEMA = {"user_id": pa.int64(), "ip": pa.string(), "n": pa.int64(), "first": pa.timestamp("ms"),
          "activated": pa.timestamp("ms"), "username": pa.string(),
          # the place found at load time (EDX_STORE_PII other than keep); null when not stored
          "country_code": pa.string(), "country": pa.string(), "city": pa.string()}
PLACE = ["country_code", "country", "city"]
COLUMNS = list(SCHEMA)
INDEXES = [IndexModel([("week", ASCENDING), ("user_id", ASCENDING)], name="week_user")]


def week_start(sunday: date) -> date:
    return sunday - timedelta(days=7)


def read_days(db: Database, events: str, before: date, since: date | None = None) -> pl.DataFrame:
    """Per user id and IP, from the events filed in [since, before): events, first time, first enrollment
    activation's time, username."""
    days = {"$lt": before.isoformat(), **({"$gte": since.isoformat()} if since else {})}
    pipeline = [
        {"$match": {ev.PARTITION: days, ev.USER_ID: {"$ne": None}, "ip": {"$nin": ["", None]}}},
        {"$group": {
            "_id": {"user": ev.ref(ev.USER_ID), "ip": "$ip"},
            "n": {"$sum": 1},
            "first": {"$min": ev.ref(ev.TIME)},
            "activated": {"$min": {"$cond": [{"$eq": [ev.ref(ev.EVENT_TYPE), ACTIVATION]}, ev.ref(ev.TIME), None]}},
            "username": {"$max": "$username"},
            **{column: {"$max": ev.ref(f"{ev.DERIVED}.{ev.IP_PLACE[column]}")} for column in PLACE},
        }},
        {"$project": {"_id": 0, "user_id": "$_id.user", "ip": {"$toString": "$_id.ip"}, "n": 1, "first": 1,
                      "activated": 1, "username": 1, **dict.fromkeys(PLACE, 1)}},
    ]
    return aggregate_polars_all(db[events], pipeline, schema=Schema(SCHEMA), allowDiskUse=True).select(COLUMNS)


def week_done(db: Database, sunday: date) -> bool:
    """Whether the week ending before `sunday` was computed (its marker is written after its rows)."""
    return partition_store.week_done(db, COLLECTION, sunday.isoformat())


def read_week(db: Database, sunday: date) -> pl.DataFrame | None:
    """The stored IPs of the week ending before `sunday`, or None when that week was never computed."""
    if not week_done(db, sunday):
        return None
    return frames.read(db, COLLECTION, SCHEMA, {"week": sunday.isoformat()}).select(COLUMNS).sort(KEYS)


def fold(parts: pl.DataFrame) -> pl.DataFrame:
    return parts.group_by(KEYS).agg(
        pl.col("n").sum(), pl.col("first").min(), pl.col("activated").min(),
        pl.col("username").drop_nulls().max(), *[pl.col(c).drop_nulls().max() for c in PLACE],
    ).select(COLUMNS).sort(KEYS)


@dataclass(frozen=True)
class WeekIps:
    frame: pl.DataFrame
    mode: str  # "incremental" or "full"


def compute(db: Database, events: str, sunday: date) -> WeekIps:
    previous = read_week(db, week_start(sunday))
    if previous is None:
        return WeekIps(fold(read_days(db, events, sunday)), "full")
    week = read_days(db, events, sunday, since=week_start(sunday))
    return WeekIps(fold(pl.concat([previous, week], how="vertical_relaxed")), "incremental")


def write_week(db: Database, sunday: date, ips: pl.DataFrame) -> partition_store.Replaced:
    week = sunday.isoformat()
    done = partition_store.replace_partition(db, COLLECTION, "week", week, ips.with_columns(pl.lit(week).alias("week")),
                                             lambda r: f"{week}|{r['user_id']}|{r['ip']}", INDEXES)
    partition_store.mark_week(db, COLLECTION, week, done)
    return done


def choose(ips: pl.DataFrame) -> pl.DataFrame:
    """Per user id, in user id order: the registration IP (the earliest enrollment activation's, else the
    earliest seen; ties to the smaller IP) with its source, and the modal IP (the most frequent; ties to the
    IP seen first, then the smaller) with its event count; each with the place stored at load time (null
    when not stored: `place_` and `modal_place_` columns)."""
    by_user = ["user_id"]
    place = [pl.col(c).alias(f"place_{c}") for c in PLACE]
    modal = (ips.sort(["user_id", "n", "first", "ip"], descending=[False, True, False, False])
             .group_by(by_user, maintain_order=True).first()
             .select("user_id", pl.col("ip").alias("modal_ip"), pl.col("n").alias("modal_ip_events"),
                     *[pl.col(c).alias(f"modal_place_{c}") for c in PLACE]))
    activation = (ips.filter(pl.col("activated").is_not_null()).sort(["user_id", "activated", "ip"])
                  .group_by(by_user, maintain_order=True).first()
                  .select("user_id", pl.col("ip").alias("activation_ip"), *[p.name.prefix("a_") for p in place]))
    earliest = (ips.sort(["user_id", "first", "ip"]).group_by(by_user, maintain_order=True).first()
                .select("user_id", pl.col("ip").alias("earliest_ip"), *[p.name.prefix("e_") for p in place]))
    names = ips.group_by(by_user).agg(pl.col("username").drop_nulls().max())
    return (modal.join(activation, on="user_id", how="left").join(earliest, on="user_id", how="left")
            .join(names, on="user_id", how="left")
            .with_columns(pl.coalesce("activation_ip", "earliest_ip").alias("ip"),
                          pl.when(pl.col("activation_ip").is_not_null()).then(pl.lit("enrollment_activation"))
                          .otherwise(pl.lit("earliest_event")).alias("source"),
                          *[pl.when(pl.col("activation_ip").is_not_null()).then(pl.col(f"a_place_{c}"))
                            .otherwise(pl.col(f"e_place_{c}")).alias(f"place_{c}") for c in PLACE])
            .select("user_id", "username", "ip", "source", "modal_ip", "modal_ip_events",
                    *[f"place_{c}" for c in PLACE], *[f"modal_place_{c}" for c in PLACE]).sort("user_id"))
