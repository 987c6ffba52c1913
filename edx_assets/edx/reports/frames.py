"""The reports' inputs as polars frames: each course collection read once, with a projection, through
pymongoarrow (MongoDB -> Arrow -> polars, no Python object per document).

Datetimes stay naive UTC, as pymongo returns them and as the CSV files print them.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
import pyarrow as pa
from pymongo.database import Database
from pymongoarrow.api import Schema, find_polars_all

from edx_assets.edx.reports.courses import ReportCourse

INT, FLOAT, TEXT, TIME = pa.int64(), pa.float64(), pa.string(), pa.timestamp("ms")
TEXT_LIST = pa.list_(pa.string())

ENROLLMENTS = {"id": INT, "user_id": INT, "created": TIME, "mode": TEXT, "is_active": INT}
USERS = {"id": INT, "username": TEXT, "first_name": TEXT, "last_name": TEXT, "email": TEXT, "is_staff": INT}
PROFILES = {"user_id": INT, "name": TEXT, "gender": TEXT, "year_of_birth": INT, "level_of_education": TEXT,
            "country": TEXT}
CERTIFICATES = {"id": INT, "user_id": INT, "grade": FLOAT, "status": TEXT, "mode": TEXT, "modified_date": TIME}
COURSEWARE = {"student_id": INT, "module_id": TEXT}
STRUCTURE = {"_id": TEXT, "category": TEXT, "display_name": TEXT}
LOCATIONS = {"_id": INT, "country_code": TEXT, "modal": pa.struct([("country_code", TEXT)])}


def read(db: Database, collection: str, schema: Mapping[str, pa.DataType], query: dict | None = None) -> pl.DataFrame:
    """The collection's documents matching `query`, only the schema's fields (missing ones are null). A
    struct, or a list of structs, is projected field by field: MongoDB sends only the fields the schema
    names (an answer's value texts stay on the server when a table reads its first grades only)."""
    frame = find_polars_all(db[collection], query or {}, schema=Schema(dict(schema)),
                            projection=projection(schema))
    return frame if isinstance(frame, pl.DataFrame) else pl.DataFrame(frame)


def projection(schema: Mapping[str, pa.DataType]) -> dict[str, int]:
    """The MongoDB projection of a schema: each field by its name, a struct (or list of structs) by each of its
    fields (`name.sub`); `_id` only when the schema names it."""
    paths = {}
    for name, kind in schema.items():
        inner = kind.value_type if pa.types.is_list(kind) else kind
        if pa.types.is_struct(inner) and inner.num_fields:
            paths.update({f"{name}.{inner.field(i).name}": 1 for i in range(inner.num_fields)})
        else:
            paths[name] = 1
    return paths if "_id" in schema else {**paths, "_id": 0}


def blank_to_null(*columns: str) -> list[pl.Expr]:
    """Empty strings are unknown values, as the old reports wrote them (`or None`)."""
    return [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in columns]


def first_per(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """One row per key: the first in the collection's order (as `$lookup` with `$limit: 1` took it)."""
    return frame.unique(subset=[key], keep="first", maintain_order=True)


def locations(db: Database, collection: str) -> pl.DataFrame:
    """user_id -> ip_country (registration IP) and ip_country_modal, from `learner_locations`."""
    frame = read(db, collection, LOCATIONS)
    if frame.height == 0:
        return pl.DataFrame(schema={"user_id": pl.Int64, "ip_country": pl.String, "ip_country_modal": pl.String})
    return frame.select(pl.col("_id").alias("user_id"), pl.col("country_code").alias("ip_country"),
                        pl.col("modal").struct.field("country_code").alias("ip_country_modal"))


def nested_rows(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """One row per item of a list-of-structs column (learner_day / learner_totals detail), with user_id."""
    return frame.select("user_id", column).explode(column).drop_nulls(column).unnest(column)


def structure(db: Database, course: ReportCourse) -> pl.DataFrame:
    return read(db, course.collection("structure"), STRUCTURE)
