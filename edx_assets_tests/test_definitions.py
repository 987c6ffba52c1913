"""The code location loads, and its schedules ask for the right partitions."""

from datetime import UTC, datetime

import dagster as dg

from edx_assets.automation.schedules import daily_events_schedule
from edx_assets.definitions import defs
from edx_assets.edx import layout


def test_definitions_validate():
    dg.Definitions.validate_loadable(defs)


def test_lineage_assets_groups_and_kinds():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"raw_event_log", "decrypted_event_log", "eventos"} <= keys
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert specs["raw_event_log"].group_name == "raw"
    assert specs["decrypted_event_log"].group_name == "decrypted"
    assert specs["eventos"].group_name == "mongo"
    assert "mongodb" in specs["eventos"].kinds and "s3" in specs["raw_event_log"].kinds
    for spec in specs.values():
        assert spec.description and spec.owners
    assert graph.get(dg.AssetKey("eventos")).parent_keys == {dg.AssetKey("decrypted_event_log")}


def _tick(schedule, when: datetime):
    with dg.build_schedule_context(scheduled_execution_time=when,
                                   repository_def=defs.get_repository_def()) as context:
        return list(schedule.evaluate_tick(context).run_requests or [])


def test_daily_schedule_runs_by_default_and_asks_for_yesterday():
    assert daily_events_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert daily_events_schedule.cron_schedule == "0 20 * * *"
    [request] = _tick(daily_events_schedule, datetime(2026, 10, 21, 20, 0, tzinfo=UTC))
    assert request.partition_key == "2026-10-20"


def test_daily_schedule_across_the_year_boundary_uses_the_files_year():
    [request] = _tick(daily_events_schedule, datetime(2027, 1, 1, 20, 0, tzinfo=UTC))
    assert request.partition_key == "2026-12-31"
    key = layout.event_log_key("idbx", "edx", datetime(2026, 12, 31).date())
    assert key.startswith("idbx/edx/events/2026/")


def test_daily_schedule_skips_days_before_the_partitions_start():
    with dg.build_schedule_context(scheduled_execution_time=datetime(2026, 10, 1, 20, tzinfo=UTC),
                                   repository_def=defs.get_repository_def()) as context:
        result = daily_events_schedule.evaluate_tick(context)
    assert not result.run_requests and "before EDX_PARTITIONS_START" in result.skip_message
