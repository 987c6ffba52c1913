"""The weekly course lineage materialized by Dagster against real S3, gpg and mongod."""

from datetime import UTC, datetime

import dagster as dg
from pymongo import MongoClient

from edx_assets.config import EdxConfig
from edx_assets.defs.courses.paths import decrypted_package_dir
from edx_assets.defs.partitions import weekly_partitions
from edx_assets.edx import layout
from edx_assets.local.sample_world import SampleWorld
from edx_assets_tests.support import SMALL_SPEC, assets, config_of, resources_for

NAMES = ("raw_course_package", "decrypted_course_package", "course_collections")
WEEK = "2026-10-04"


def _materialize(env, partition=WEEK, raise_on_error=True):
    return dg.materialize(assets(env, *NAMES), partition_key=partition, resources=resources_for(env),
                          instance=dg.DagsterInstance.ephemeral(), raise_on_error=raise_on_error)


def test_week_loads_every_course_with_passing_checks_and_reruns_identically(delivered_env, stack):
    result = _materialize(delivered_env)
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"documents_match_file_rows": True, "enrollments_join_users": True,
                      "every_course_in_catalog": True, "personal_data_as_store_mode": True}
    db = MongoClient(stack.mongo_uri)[delivered_env["EDX_MONGO_DB"]]
    world = SampleWorld(SMALL_SPEC)
    for course in world.courses:
        prefix = layout.collection_prefix(course.cid.file_prefix, "idbx")
        assert db[f"{prefix}.enrollments"].count_documents({}) == len(
            world.enrollments_at(course, datetime(2026, 10, 4).date()))
        assert db.courses.find_one({"prefix": prefix})["display_name"] == course.display_name
    decrypted = decrypted_package_dir(config_of(delivered_env), resources_for(delivered_env)["workspace"], WEEK)
    assert not decrypted.exists()  # private files removed after loading

    snapshot = {n: sorted(db[n].find(), key=lambda d: str(d["_id"])) for n in db.list_collection_names()
                if n != "courses"}
    again = _materialize(delivered_env)
    assert again.success
    assert {n: sorted(db[n].find(), key=lambda d: str(d["_id"])) for n in db.list_collection_names()
            if n != "courses"} == snapshot


def test_every_member_of_the_package_is_listed_by_kind(delivered_env, delivery, s3_client):
    """The sample package is in edX's real formats: every member is a known kind (none is left unloaded);
    the manifest lists each with its kind, the `ora/` files and the org's opt-in file among them."""
    result = dg.materialize(assets(delivered_env, *NAMES[:2]), partition_key=WEEK,
                            resources=resources_for(delivered_env), selection=list(NAMES[:2]),
                            instance=dg.DagsterInstance.ephemeral())
    meta = {k: v.value for k, v in result.get_asset_materialization_events()[-1].materialization.metadata.items()}
    assert meta["courses"] == len(SampleWorld(SMALL_SPEC).courses)
    assert meta["not_loaded_files"] == []
    manifest = meta["manifest"]
    assert "student_anonymoususerid" in manifest and "| ora |" in manifest and "| org_table |" in manifest


def test_missing_package_fails_naming_bucket_and_key(pipeline_env):
    result = _materialize(pipeline_env, "2026-10-11", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert f"s3://{pipeline_env['EDX_COURSES_BUCKET']}/idbx-2026-10-11.zip" in failure.step_failure_data.error.message


def test_weekly_partitions_are_keyed_by_sundays():
    keys = weekly_partitions(EdxConfig()).get_partition_keys(current_time=datetime(2026, 11, 1, tzinfo=UTC))
    assert keys[:3] == ["2026-10-04", "2026-10-11", "2026-10-18"]
