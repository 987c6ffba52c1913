"""Asset checks of `course_collections`, evaluated for the week right after it is loaded."""

from pathlib import Path

import dagster as dg
from pymongo.database import Database

from edx_assets.edx import course_load, layout, privacy, sql_dump
from edx_assets.edx.course_package import Manifest

ROWS_MATCH = "documents_match_file_rows"
ENROLLMENTS_JOIN = "enrollments_join_users"
CATALOG_COMPLETE = "every_course_in_catalog"
PERSONAL_DATA = "personal_data_as_store_mode"

def course_collections_checks(weekly: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(ROWS_MATCH, asset="course_collections", partitions_def=weekly, blocking=True,
                          description="For every course and table, documents == data rows of the decrypted file."),
        dg.AssetCheckSpec(ENROLLMENTS_JOIN, asset="course_collections", partitions_def=weekly,
                          description="Every enrollment's user_id is in the course's users (orphans reported)."),
        dg.AssetCheckSpec(CATALOG_COMPLETE, asset="course_collections", partitions_def=weekly,
                          blocking=True, description="Every course of the package has an entry in `courses`."),
        dg.AssetCheckSpec(PERSONAL_DATA, asset="course_collections", partitions_def=weekly, blocking=True,
                          description="Every course loaded was stored under EDX_STORE_PII's mode (`courses.store_pii`) "
                                      "and no collection holds what the mode forbids (a username that is no "
                                      "pseudonym, a name, e-mail, password, mailing address; free-text profile "
                                      "fields under minimize)."),
    ]


def _file_rows(path: Path, table: str) -> int:
    return sum(1 for _ in sql_dump.iter_rows(path, table))


def course_check_results(db: Database, manifest: Manifest, folder: Path, result: course_load.PackageLoad,
                         store_mode: str = "keep") -> list[dg.AssetCheckResult]:
    mismatches, orphans, forbidden = [], {}, {}
    for load in result.courses:
        if load.skipped_newer:
            continue
        files = manifest.tables(load.file_prefix)
        for suffix, table, entry in course_load.table_plan(manifest, load.file_prefix):
            expected = _file_rows(folder / entry.path, table) if entry else 0
            stored = db[f"{load.prefix}.{suffix}"].count_documents({})
            if stored != expected:
                mismatches.append(f"{load.prefix}.{suffix}: {stored} documents, {expected} rows in the file")
        expected = sum(_file_rows(folder / files[t].path, t) for t in layout.ROLE_TABLES if t in files)
        stored = db[f"{load.prefix}.{layout.ROLES_SUFFIX}"].count_documents({})
        if stored != expected:
            mismatches.append(f"{load.prefix}.{layout.ROLES_SUFFIX}: {stored} documents, {expected} rows in the files")
        missing = list(db[f"{load.prefix}.enrollments"].aggregate([
            {"$lookup": {"from": f"{load.prefix}.users", "localField": "user_id", "foreignField": "id",
                         "as": "user"}},
            {"$match": {"user": {"$size": 0}}},
            {"$count": "n"},
        ]))
        if missing:
            orphans[load.prefix] = missing[0]["n"]
        for suffix, query in privacy.forbidden_in_course(store_mode).items():
            n = db[f"{load.prefix}.{suffix}"].count_documents(query)
            if n:
                forbidden[f"{load.prefix}.{suffix}"] = n
    for suffix, query in privacy.forbidden_in_org(store_mode).items():
        n = db[suffix].count_documents(query)
        if n:
            forbidden[suffix] = n
    loaded = [c for c in result.courses if not c.skipped_newer]
    in_catalog = {d["prefix"] for d in db[course_load.CATALOG].find(
        {"last_package": result.package_date.isoformat()}, {"prefix": 1})}
    absent = sorted(c.prefix for c in loaded if c.prefix not in in_catalog)
    other_mode = sorted(d["prefix"] for d in db[course_load.CATALOG].find(
        {"prefix": {"$in": [c.prefix for c in loaded]}, "store_pii": {"$ne": store_mode}}, {"prefix": 1}))
    return [
        dg.AssetCheckResult(check_name=ROWS_MATCH, passed=not mismatches,
                            metadata={"mismatches": dg.MetadataValue.json(mismatches),
                                      "courses_checked": len(loaded)}),
        dg.AssetCheckResult(check_name=ENROLLMENTS_JOIN, passed=not orphans, severity=dg.AssetCheckSeverity.WARN,
                            metadata={"orphan_enrollments": dg.MetadataValue.json(orphans),
                                      "total_orphans": sum(orphans.values())}),
        dg.AssetCheckResult(check_name=CATALOG_COMPLETE, passed=not absent,
                            metadata={"missing_from_catalog": dg.MetadataValue.json(absent)}),
        dg.AssetCheckResult(check_name=PERSONAL_DATA, passed=not forbidden and not other_mode,
                            metadata={"store_pii": store_mode,
                                      "documents_holding_forbidden_data": dg.MetadataValue.json(forbidden),
                                      "courses_stored_under_another_mode": dg.MetadataValue.json(other_mode)}),
    ]
