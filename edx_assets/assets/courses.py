"""Weekly course lineage: raw_course_package (S3) -> decrypted_course_package (files) -> course_collections."""

import json
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource

from edx_assets.assets.common import (
    MONGO_POOL,
    OWNERS,
    TRANSIENT_RETRY,
    WEEKLY_FRESHNESS,
    counts_table,
    landed_result,
    markdown_table,
    permanent_failures,
)
from edx_assets.assets.course_checks import COURSE_CHECKS, course_check_results
from edx_assets.edx import course_load, course_package, landing, layout
from edx_assets.edx.course_package import Manifest
from edx_assets.partitions import partition_day, weekly_partitions
from edx_assets.resources import GpgResource, MongoResource, WorkspaceResource
from edx_assets.settings import load_settings

MANIFEST = "manifest.json"


def package_name(partition: str) -> str:
    return layout.course_package_key(load_settings().org, partition_day(partition))


def decrypted_package_dir(workspace: WorkspaceResource, partition: str) -> Path:
    return workspace.decrypted_dir("courses", partition) / package_name(partition).removesuffix(".zip")


def read_manifest(workspace: WorkspaceResource, partition: str) -> tuple[Manifest, Path]:
    folder = decrypted_package_dir(workspace, partition)
    path = folder / MANIFEST
    if not path.exists():
        raise FileNotFoundError(
            f"{package_name(partition)} is not decrypted (files are removed after loading): materialize "
            "decrypted_course_package for this week first"
        )
    return Manifest.from_dict(json.loads(path.read_text())), folder


@dg.asset(
    partitions_def=weekly_partitions,
    group_name="raw",
    kinds={"s3"},
    owners=OWNERS,
    retry_policy=TRANSIENT_RETRY,
    code_version="1",
)
def raw_course_package(
    context: dg.AssetExecutionContext, s3: S3Resource, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    """The week's course-data package as edX delivered it: `s3://{EDX_COURSES_BUCKET}/{org}-{date}.zip`.

    The package dated Sunday D is partition D. Copied to the landing area; the download is skipped
    when the object's ETag has not changed. A missing package fails at once, naming bucket and key.
    """
    settings = load_settings()
    key = package_name(context.partition_key)
    with permanent_failures():
        landed = landing.land(s3.get_client(), settings.courses_bucket, key, workspace.landing_dir("courses"))
    return landed_result(landed)


@dg.asset(
    partitions_def=weekly_partitions,
    deps=[raw_course_package],
    group_name="decrypted",
    kinds={"gpg", "file"},
    owners=OWNERS,
    code_version="1",
)
def decrypted_course_package(
    context: dg.AssetExecutionContext, gpg: GpgResource, workspace: WorkspaceResource
) -> dg.MaterializeResult:
    """Every member of the week's package, safely extracted and decrypted into private files.

    Refuses absolute paths, `..`, links, duplicate members and zip bombs. `*.failed` members (an export
    task's traceback) are reported, not fatal; tables the platform does not load are kept and listed.
    A manifest lists courses, tables, rows and bytes.
    """
    partition = context.partition_key
    source = workspace.landing_dir("courses") / package_name(partition)
    target = decrypted_package_dir(workspace, partition)
    with permanent_failures():
        if not source.exists():
            raise FileNotFoundError(f"{source.name} is not in the landing area: materialize raw_course_package first")
        with gpg.keyring() as ring:
            manifest = course_package.extract_and_decrypt(source, target, ring)
    (target / MANIFEST).write_text(json.dumps(manifest.as_dict(), indent=1))
    for failed in manifest.failed:
        context.log.warning(f"edX's export failed for {failed.member}: {(target / failed.path).read_text()[-300:]}")
    rows = [(f.course, f.table, f.rows if f.rows is not None else "", f.bytes)
            for f in manifest.files if f.kind in {"table", "structure", "forum"}]
    return dg.MaterializeResult(
        metadata={
            "courses": len(manifest.courses),
            "files": len(manifest.files),
            "dagster/row_count": sum(f.rows or 0 for f in manifest.files),
            "bytes": sum(f.bytes for f in manifest.files),
            "failed_exports": dg.MetadataValue.json([f.member for f in manifest.failed]),
            "not_loaded_files": dg.MetadataValue.json([f.path for f in manifest.unknown]),
            "manifest": markdown_table(["course", "table", "rows", "bytes"], rows, limit=60),
        }
    )


@dg.asset(
    partitions_def=weekly_partitions,
    deps=[decrypted_course_package],
    group_name="mongo",
    kinds={"mongodb"},
    owners=OWNERS,
    retry_policy=TRANSIENT_RETRY,
    pool=MONGO_POOL,
    check_specs=COURSE_CHECKS,
    freshness_policy=WEEKLY_FRESHNESS,
    code_version="1",
)
def course_collections(
    context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource
):
    """Per-course collections with the names users know, plus the `courses` catalog.

    For each course of the package (prefix `idb4_1x_2015_t4` from `IDBx-IDB4.1x-2015_T4`):
    `.users`, `.demographics`, `.certificates`, `.courseware`, `.enrollments`, `.userIDs` (typed rows:
    NULL -> null, integers and booleans as numbers, dates as dates), `.structure` (one document per
    block) and `.forum` (extended JSON decoded). Each collection is loaded aside and renamed over the
    old one only when the whole package has loaded, so readers never see a half-loaded course and a
    bad package leaves last week's collections intact. `courses` holds one document per course: ids in
    both forms, collection prefix, name, start, end, passing grade, row counts, last package.
    """
    settings = load_settings()
    partition = context.partition_key
    with permanent_failures():
        manifest, folder = read_manifest(workspace, partition)
    with mongo.get_database() as db:
        with permanent_failures():
            result = course_load.load_package(db, manifest, folder, partition_day(partition), settings.org)
        checks = course_check_results(db, manifest, folder, result)
    if not settings.keep_decrypted:
        shutil.rmtree(folder, ignore_errors=True)
    totals: Counter = Counter()
    for load in result.courses:
        totals.update(load.rows)
    rows = [(c.prefix, c.course_id.v1 if c.course_id else "?", *(c.rows.get(s, "") for s in (
        "users", "enrollments", "courseware", "certificates", "demographics", "structure", "forum")),
        f"kept (newer {c.skipped_newer})" if c.skipped_newer else "loaded") for c in result.courses]
    untyped = Counter()
    for load in result.courses:
        untyped.update(load.untyped_values)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(totals.values()),
            "courses": len(result.courses),
            "courses_kept_newer": [c.prefix for c in result.courses if c.skipped_newer],
            "not_in_latest_package": dg.MetadataValue.json(result.not_in_package),
            "rows_per_collection": counts_table(dict(totals), "collection suffix", "documents"),
            "courses_table": markdown_table(
                ["prefix", "course id", "users", "enrollments", "courseware", "certificates", "demographics",
                 "structure", "forum", "status"], rows, limit=100),
            "values_kept_as_text": counts_table(dict(untyped), "table.column", "values"),
            "rejoined_lines": sum(c.rejoined_lines for c in result.courses),
            "forum_lines_rejected": sum(c.forum_rejected for c in result.courses),
        }
    )
    yield from checks
