"""decrypted_course_package and course_collections: the week's package extracted and decrypted into private
files, then the per-course collections users know, plus the `courses` catalog. One step makes both, so the
clear files live exactly as long as their load needs them."""

import json
import shutil
from collections import Counter
from pathlib import Path

import dagster as dg

from edx_assets.config import EdxConfig
from edx_assets.defs.common import (
    MONGO_POOL,
    OWNERS,
    TRANSIENT_RETRY,
    Build,
    counts_table,
    expire_decrypted,
    markdown_table,
    permanent_failures,
    table_schema,
)
from edx_assets.defs.courses.course_collections_checks import course_check_results, course_collections_checks
from edx_assets.defs.courses.paths import MANIFEST, decrypted_package_dir, landed_package, read_manifest
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import GpgResource, MongoResource, PrivacyResource, WorkspaceResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx import course_load, course_package
from edx_assets.edx.course_package import Manifest

DECRYPTED_DESCRIPTION = """Every member of the week's package, safely extracted and decrypted into private files.

Refuses absolute paths, `..`, links, duplicate members and zip bombs. `*.failed` members (an export
task's traceback) are reported, not fatal; files of no known kind are kept and listed.
A manifest lists courses, tables, rows and bytes.
Made by the step that loads it into `course_collections` (one operation, two assets), which removes the
files once that load has succeeded (EDX_KEEP_DECRYPTED keeps them). Materialized alone, they stay for
inspection until the step's retention removes them: a week's folder left by a failed or partial run is
removed after EDX_DECRYPTED_RETENTION_HOURS (24) by the next run of the step."""

COLLECTIONS_DESCRIPTION = """Per-course collections with the names users know, plus the `courses` catalog.

For each course of the package (prefix `idb4_1x_2015_t4` from `IDBx-IDB4.1x-2015_T4`):
`.users`, `.demographics`, `.certificates`, `.courseware`, `.enrollments`, `.userIDs` (typed rows:
NULL -> null, integers and booleans as numbers, dates as dates), `.structure` (one document per
block), `.forum` (extended JSON decoded), `.roles`, and every other table of the package:
`.grades_course`, `.grades_subsection`, `.cohorts`, `.user_tags`, `.teams`, `.team_members`,
`.anonymous_ids`, `.language_proficiency`, `.credit_eligibility`, `.verification_status`,
`.wiki_articles`, `.wiki_revisions` (an empty collection when the package does not carry the table:
`courses.tables_missing` says so), `.ora_<table>` for the `ora/` files, `.policies` (the OLX export's
policies/<run>/*.json), any table not known here as text under its own name, and the org's
`email_opt_in`. docs/edx-package.md lists every file and what it becomes; the metadata lists every
member of the week's package with its collection and documents, or why it was not loaded.
Each collection is loaded aside and renamed over the old one only when the whole package has loaded, so
readers never see a half-loaded course and a bad package leaves last week's collections intact. `courses` holds one document per course: ids in
both forms, collection prefix, name, start, end, pass mark and its source, row counts, last package.
Personal data follows EDX_STORE_PII (pseudonymize: usernames as keyed pseudonyms, no names, e-mails,
passwords, mailing addresses or certificate names; minimize: also no free-text profile fields),
recorded per course in `courses.store_pii` and checked.
Loaded from `decrypted_course_package`, in the same step; materialized alone, the step decrypts the
landed package itself when the decrypted files are gone, so any landed week can be loaded again."""


def decrypt_package(config: EdxConfig, gpg: GpgResource, workspace: WorkspaceResource,
                    partition: str) -> Manifest:
    """Extract and decrypt the landed package; the manifest is written beside the files."""
    source = landed_package(config, workspace, partition)
    target = decrypted_package_dir(config, workspace, partition)
    with permanent_failures():
        if not source.exists():
            raise FileNotFoundError(f"{source.name} is not in the landing area: materialize raw_course_package first")
        with gpg.keyring() as ring:
            manifest = course_package.extract_and_decrypt(source, target, ring)
    (target / MANIFEST).write_text(json.dumps(manifest.as_dict(), indent=1))
    return manifest


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config
    specs = [
        dg.AssetSpec("decrypted_course_package", deps=["raw_course_package"], group_name="decrypted",
                     kinds={"gpg", "file"}, owners=OWNERS, code_version=VERSIONED, partitions_def=ctx.weekly,
                     description=DECRYPTED_DESCRIPTION),
        dg.AssetSpec("course_collections", deps=["decrypted_course_package"], group_name="mongo", kinds={"mongodb"},
                     owners=OWNERS, code_version=VERSIONED, partitions_def=ctx.weekly,
                     freshness_policy=ctx.weekly_freshness, description=COLLECTIONS_DESCRIPTION),
    ]

    @dg.multi_asset(name="decrypt_and_load_course_package", specs=specs, partitions_def=ctx.weekly, can_subset=True,
                    retry_policy=TRANSIENT_RETRY, pool=MONGO_POOL, check_specs=course_collections_checks(ctx.weekly))
    def decrypt_and_load_course_package(context: dg.AssetExecutionContext, mongo: MongoResource,
                                        workspace: WorkspaceResource, gpg: GpgResource, privacy: PrivacyResource):
        """A week's package decrypted (decrypted_course_package) and loaded into MongoDB (course_collections):
        one step, which owns the clear files' life from decryption to removal."""
        partition = context.partition_key
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        target = decrypted_package_dir(config, workspace, partition)
        expired = expire_decrypted(context, target.parent.parent, config)
        if "decrypted_course_package" in selected:
            manifest = decrypt_package(config, gpg, workspace, partition)
            for failed in manifest.failed:
                context.log.warning(f"edX's export failed for {failed.member}: "
                                    f"{(target / failed.path).read_text()[-300:]}")
            rows = [(f.course or "", f.table or "", f.kind, f.rows if f.rows is not None else "", f.bytes)
                    for f in manifest.files]
            yield dg.MaterializeResult(
                asset_key="decrypted_course_package",
                metadata={
                    "courses": len(manifest.courses),
                    "files": len(manifest.files),
                    "dagster/row_count": sum(f.rows or 0 for f in manifest.files),
                    "bytes": sum(f.bytes for f in manifest.files),
                    "failed_exports": dg.MetadataValue.json([f.member for f in manifest.failed]),
                    "not_loaded_files": dg.MetadataValue.json([f.path for f in manifest.unknown]),
                    "expired_weeks_removed": ", ".join(expired) or "none",
                    "manifest": markdown_table(["course", "table", "kind", "rows", "bytes"], rows, limit=200),
                }
            )
        if "course_collections" in selected:
            found = read_manifest(config, workspace, partition)
            if found is None:
                context.log.info(f"week {partition} is not decrypted: decrypting it again from the landing file")
                found = decrypt_package(config, gpg, workspace, partition), target
            yield from _load(context, config, mongo, privacy, *found)

    return dg.Definitions(assets=[decrypt_and_load_course_package])


def _load(context: dg.AssetExecutionContext, config: EdxConfig, mongo: MongoResource, privacy: PrivacyResource,
          manifest: Manifest, folder: Path):
    """Load the decrypted package into the course collections, remove its clear files once loaded; the
    materialization and checks."""
    partition = context.partition_key
    with mongo.get_database() as db:
        with permanent_failures():
            result = course_load.load_package(db, manifest, folder, partition_day(partition), config.org,
                                              privacy.store())
        checks = course_check_results(db, manifest, folder, result, privacy.store_pii)
    if not config.keep_decrypted:
        shutil.rmtree(folder, ignore_errors=True)
    totals: Counter = Counter()
    untyped: Counter = Counter()
    for load in result.courses:
        totals.update(load.rows)
        untyped.update(load.untyped_values)
    rows = [(c.prefix, c.course_id.v1 if c.course_id else "?", *(c.rows.get(s, "") for s in (
        "users", "enrollments", "courseware", "certificates", "demographics", "structure", "forum")),
        f"kept (newer {c.skipped_newer})" if c.skipped_newer else "loaded") for c in result.courses]
    yield dg.MaterializeResult(
        asset_key="course_collections",
        metadata={
            "dagster/row_count": sum(totals.values()),
            "dagster/column_schema": table_schema(course_load.CATALOG_COLUMNS),  # the `courses` catalog
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
            "store_pii": privacy.store_pii,
            "package_members": markdown_table(["member", "collection", "documents / reason"],
                                              course_load.dispositions(manifest, result), limit=200),
            "tables_missing": dg.MetadataValue.json({c.prefix: c.missing for c in result.courses if c.missing}),
            "org_collections": dg.MetadataValue.json(result.org_rows),
        }
    )
    selected_checks = context.selected_asset_check_keys
    yield from (c for c in checks if dg.AssetCheckKey(dg.AssetKey("course_collections"), c.check_name) in selected_checks)

