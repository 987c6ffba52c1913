"""Data-time freshness checks on the newest loaded day (`eventos`) and week (`course_collections`), and a
sensor that re-evaluates them as time passes, without launching any run.

Dagster's freshness policies measure the time since the last materialization, so re-running an old day
makes stale data look fresh; these checks measure the age of the newest loaded data. Limits:
EDX_EVENTS_DATA_LAG_HOURS (default 48: yesterday's file is loaded at 20:00 the day after) and
EDX_COURSES_DATA_LAG_DAYS (default 8: the Sunday package is loaded that night).
"""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from edx_assets.defs.common import Build
from edx_assets.edx.freshness import Freshness, assess

NEWEST_DAY = "newest_day_is_recent"
NEWEST_WEEK = "newest_week_is_recent"


def build(ctx: Build) -> dg.Definitions:
    config = ctx.config
    watched = {  # asset -> (check, limit, daily partitions?, what)
        "eventos": (NEWEST_DAY, timedelta(hours=config.events_data_lag_hours), True, "day"),
        "course_collections": (NEWEST_WEEK, timedelta(days=config.courses_data_lag_days), False, "weekly package"),
    }

    def evaluate(instance: dg.DagsterInstance, asset: str) -> tuple[Freshness, str]:
        _, limit, whole_day, what = watched[asset]
        found = assess(instance.get_materialized_partitions(dg.AssetKey(asset)), datetime.now(UTC), limit,
                       whole_day=whole_day)
        return found, found.describe(what)

    def metadata(found: Freshness) -> dict:
        return {"newest_partition": found.newest.isoformat() if found.newest else "none",
                "data_age_hours": round(found.lag.total_seconds() / 3600, 1) if found.lag else -1.0,
                "limit_hours": round(found.limit.total_seconds() / 3600, 1)}

    def check_for(asset: str) -> dg.AssetChecksDefinition:
        name = watched[asset][0]

        @dg.asset_check(asset=asset, name=name, description=(
            f"The newest loaded {watched[asset][3]} is recent enough (data time, not run time); "
            "re-evaluated by the `data_freshness` sensor as time passes."))
        def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
            found, text = evaluate(context.instance, asset)
            return dg.AssetCheckResult(passed=found.fresh, severity=dg.AssetCheckSeverity.WARN,
                                       description=text, metadata=metadata(found))

        return _check

    @dg.sensor(name="data_freshness", minimum_interval_seconds=config.sensor_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Re-evaluates the data-time freshness checks (no run is launched); reports a check "
                           "result when its verdict changes, and at least once a day.")
    def data_freshness(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        last = json.loads(context.cursor) if context.cursor else {}
        today = datetime.now(UTC).date().isoformat()
        events, state = [], {}
        for asset, (name, *_rest) in watched.items():
            found, text = evaluate(context.instance, asset)
            state[asset] = [found.fresh, found.newest.isoformat() if found.newest else None, today]
            if last.get(asset) != state[asset]:
                events.append(dg.AssetCheckEvaluation(asset_key=dg.AssetKey(asset), check_name=name,
                                                      passed=found.fresh, severity=dg.AssetCheckSeverity.WARN,
                                                      description=text, metadata=metadata(found)))
        return dg.SensorResult(asset_events=events, cursor=json.dumps(state))

    return dg.Definitions(asset_checks=[check_for(asset) for asset in watched], sensors=[data_freshness])
