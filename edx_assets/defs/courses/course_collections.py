"""course_collections: the per-course collections users know, plus the `courses` catalog."""

import shutil
from collections import Counter

import dagster as dg

from edx_assets.defs.common import (
    MONGO_POOL,
    OWNERS,
    TRANSIENT_RETRY,
    Build,
    counts_table,
    markdown_table,
    permanent_failures,
    table_schema,
)
from edx_assets.defs.courses.course_collections_checks import course_check_results, course_collections_checks
from edx_assets.defs.courses.decrypted_course_package import decrypt_package
from edx_assets.defs.courses.paths import decrypted_package_dir, read_manifest
from edx_assets.defs.partitions import partition_day
from edx_assets.defs.resources import GpgResource, MongoResource, PrivacyResource, WorkspaceResource
from edx_assets.defs.versions import VERSIONED
from edx_assets.edx import course_load


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config

    @dg.asset(partitions_def=ctx.weekly, deps=["decrypted_course_package"], group_name="mongo",
              kinds={"mongodb"}, owners=OWNERS, retry_policy=TRANSIENT_RETRY, pool=MONGO_POOL,
              check_specs=course_collections_checks(ctx.weekly), freshness_policy=ctx.weekly_freshness,
              code_version=VERSIONED)
    def course_collections(context: dg.AssetExecutionContext, mongo: MongoResource, workspace: WorkspaceResource,
                           gpg: GpgResource, privacy: PrivacyResource):
        """Per-course collections with the names users know, plus the `courses` catalog.

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
        Each collection is loaded aside and renamed over the old one only when the whole package has loaded, so readers never see a half-loaded course and a
        bad package leaves last week's collections intact. `courses` holds one document per course: ids in
        both forms, collection prefix, name, start, end, pass mark and its source, row counts, last package.
        Personal data follows EDX_STORE_PII (pseudonymize: usernames as keyed pseudonyms, no names, e-mails,
        passwords, mailing addresses or certificate names; minimize: also no free-text profile fields),
        recorded per course in `courses.store_pii` and checked.
        When the decrypted files are gone (they are removed after each load), the landed package is
        decrypted again, so this asset can be materialized alone for any landed week.
        """
        partition = context.partition_key
        found = read_manifest(config, workspace, partition)
        if found is None:
            context.log.info(f"week {partition} is not decrypted: decrypting it again from the landing file")
            manifest, folder = decrypt_package(config, gpg, workspace, partition), decrypted_package_dir(
                config, workspace, partition)
        else:
            manifest, folder = found
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
        yield from checks

    return dg.Definitions(assets=[course_collections])
