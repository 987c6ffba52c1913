"""The daily events lineage materialized by Dagster against real S3 (moto server), gpg and mongod."""

import os
import stat
import time

import dagster as dg
import pytest
from pymongo import MongoClient

from edx_assets.defs.events.paths import decrypted_event_log_path
from edx_assets.edx import layout
from edx_assets_tests.support import assets, config_of, materialization_metadata, resources_for

NAMES = ("raw_event_log", "decrypted_event_log", "eventos")


def _materialize(env, partition, *, raise_on_error=True, instance=None):
    return dg.materialize(assets(env, *NAMES), partition_key=partition, resources=resources_for(env),
                          instance=instance or dg.DagsterInstance.ephemeral(), raise_on_error=raise_on_error)



def test_a_day_lands_exactly_once_and_rerunning_changes_nothing(delivered_env, delivery, stack):
    delivered, _ = delivery
    day = "2026-10-04"
    truth = delivered.days[day]
    first = _materialize(delivered_env, day)
    db = MongoClient(stack.mongo_uri, tz_aware=True)[delivered_env["EDX_MONGO_DB"]]
    assert db.Eventos.count_documents({"_edx.partition": day}) == truth.valid
    assert db.Eventos_rejected.count_documents({"partition": day}) == truth.rejected
    assert materialization_metadata(first, "eventos")["dagster/row_count"] == truth.valid
    assert materialization_metadata(first, "raw_event_log")["downloaded"] is True
    checks = {c.check_name: c.passed for c in first.get_asset_check_evaluations()}
    assert checks == dict.fromkeys(checks, True) and len(checks) == 5  # incl. personal_data_as_store_mode

    ids = sorted(d["_id"] for d in db.Eventos.find({}, {"_id": 1}))
    second = _materialize(delivered_env, day)
    assert materialization_metadata(second, "raw_event_log")["downloaded"] is False  # same ETag: no download
    assert materialization_metadata(second, "eventos")["unchanged"] is True
    assert sorted(d["_id"] for d in db.Eventos.find({}, {"_id": 1})) == ids
    assert db.Eventos.count_documents({}) == truth.valid


def test_every_day_of_the_delivery_with_its_types_and_late_mobile_events(delivered_env, delivery, stack):
    delivered, _ = delivery
    db = MongoClient(stack.mongo_uri, tz_aware=True)[delivered_env["EDX_MONGO_DB"]]
    for day, truth in delivered.days.items():
        result = _materialize(delivered_env, day)
        meta = materialization_metadata(result, "eventos")
        assert meta["rejected"] == truth.rejected
        assert meta["syslog_prefixes_stripped"] == truth.prefixed
        by_type = {
            row["_id"]: row["n"] for row in db.Eventos.aggregate([
                {"$match": {"_edx.partition": day}},
                {"$group": {"_id": {"$cond": [{"$eq": [{"$substrCP": ["$_edx.event_type", 0, 1]}, "/"]},
                                              "(url)", "$_edx.event_type"]}, "n": {"$sum": 1}}}])
        }
        assert by_type == dict(truth.by_type)
        times = next(c for c in result.get_asset_check_evaluations() if c.check_name == "times_within_partition_day")
        assert times.passed
        assert times.metadata["late_mobile"].value == truth.late_mobile
    assert db.Eventos.count_documents({}) == sum(t.valid for t in delivered.days.values())


def test_decrypted_file_is_private_kept_until_loaded_and_leftovers_expire(delivered_env, delivery):
    day, other = "2026-10-05", "2026-10-06"
    workspace = resources_for(delivered_env)["workspace"]
    path = decrypted_event_log_path(config_of(delivered_env), workspace, day)
    dg.materialize(assets(delivered_env, *NAMES), partition_key=day, resources=resources_for(delivered_env),
                   instance=dg.DagsterInstance.ephemeral(), selection=list(NAMES[:2]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # Materialized alone, the clear file stays (for inspection) ...
    dg.materialize(assets(delivered_env, *NAMES), partition_key=other, resources=resources_for(delivered_env),
                   instance=dg.DagsterInstance.ephemeral(), selection=list(NAMES[:2]))
    leftover = decrypted_event_log_path(config_of(delivered_env), workspace, other)
    assert leftover.exists()
    # ... until its retention: a day's folder older than EDX_DECRYPTED_RETENTION_HOURS goes at the next run.
    old = time.time() - 25 * 3600
    for file in (leftover, *leftover.parent.iterdir(), leftover.parent):
        os.utime(file, (old, old))
    result = dg.materialize(assets(delivered_env, *NAMES), partition_key=day, resources=resources_for(delivered_env),
                            instance=dg.DagsterInstance.ephemeral(), selection=["eventos"])
    assert not path.exists()  # loaded: removed by the step that made it
    assert not leftover.parent.exists()
    assert materialization_metadata(result, "eventos")["dagster/row_count"] == delivery[0].days[day].valid


def test_a_missing_delivery_fails_naming_bucket_and_key(pipeline_env):
    result = _materialize(pipeline_env, "2026-10-06", raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message + str(failure.step_failure_data.user_failure_data)
    key = layout.event_log_key("idbx", "edx", __import__("datetime").date(2026, 10, 6))
    assert f"s3://{pipeline_env['EDX_EVENTS_BUCKET']}/{key}" in message
    assert "not there yet" in message
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retries == []  # waiting would not make the object appear: no retries


def test_a_replaced_object_is_downloaded_and_reloaded(pipeline_env, delivery, s3_client, stack):
    delivered, names = delivery
    day = "2026-10-04"
    key = delivered.event_keys[day]
    bucket = pipeline_env["EDX_EVENTS_BUCKET"]
    s3_client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": names["events"], "Key": key})
    _materialize(pipeline_env, day)
    # edX re-delivers the day with other content: one more event line appended.
    other = delivered.event_keys["2026-10-05"]
    s3_client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": names["events"], "Key": other})
    result = _materialize(pipeline_env, day)
    assert materialization_metadata(result, "raw_event_log")["downloaded"] is True
    meta = materialization_metadata(result, "eventos")
    assert meta["unchanged"] is False and meta["stale_documents_removed"] == delivered.days[day].valid
    db = MongoClient(stack.mongo_uri)[pipeline_env["EDX_MONGO_DB"]]
    assert db.Eventos.count_documents({"_edx.partition": day}) == delivered.days["2026-10-05"].valid


def test_missing_mongo_uri_is_named_before_anything_runs(delivered_env, monkeypatch):
    env = {k: v for k, v in delivered_env.items() if k != "EDX_MONGO_URI"}
    monkeypatch.delenv("EDX_MONGO_URI")
    with pytest.raises(dg.DagsterInvalidConfigError, match="EDX_MONGO_URI"):
        _materialize(env, "2026-10-04")


def test_unreachable_mongodb_is_a_clear_error_without_the_password(delivered_env, monkeypatch):
    from edx_assets.defs.resources.mongo import MongoResource, MongoUnavailableError

    resource = MongoResource(uri=f"mongodb://edx:S3cretPassw0rd@127.0.0.1:{_closed_port()}/",
                             server_selection_timeout_ms=500)
    with pytest.raises(MongoUnavailableError) as info, resource.get_database():
        pass
    assert "127.0.0.1" in str(info.value) and "S3cretPassw0rd" not in str(info.value)


def _closed_port() -> int:
    from edx_assets.local.stack import free_port

    return free_port()
