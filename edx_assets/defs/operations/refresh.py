"""Late and re-delivered data, looked after by Dagster's declarative automation.

Schedules and arrival sensors create partitions (a day's load, a week's package and its reports). What
they do not do is bring the rest of the graph up to date when an input changes afterwards: a day loaded
again (re-delivered by edX, late mobile events, a backfill, a person in the UI) changes that day's
learner_day, which changes the totals of its week and of every later week (each week starts from the one
before), and the reports of those weeks. Every derived asset carries the condition `refresh(...)` builds for that
(`condition_for`, applied once by definitions.py), and the `refresh_downstream` sensor evaluates it:

- only partitions that exist are refreshed (`~missing`): creating new ones stays the schedules' and
  sensors' work, so a daily load never starts next week's reports early and no history is filled behind
  anyone's back;
- a partition is requested when one of its dependencies was updated by a run that did not also update it
  (the daily job already carries the day's tables), or will be requested in the same tick, so a week's
  totals and reports are refreshed together and the following weeks in the same backfill, in dependency
  order (the sensor emits a backfill when a tick asks for more than one partition of an asset);
- never while the partition or a dependency is being computed; weekly assets are not held back by days
  missing in the windows they read (days edX never delivered are reported by checks, not waited for);
- a weekly report that reads the carried tables also waits while their own inputs are being computed:
  learner_ips follows the day's events and learner_totals its learner_day a step later, and the week's
  report is computed once, on both;
- so do the assets that gather a week's reports (`warehouse`, `course_dashboards`, `instructor_bundles`):
  they do not react to the days they also read, and wait while the reports' inputs are being computed, so a
  re-delivered day rebuilds them once, after the reports.
"""

import dagster as dg

from edx_assets.defs.common import CADENCE_TAG, JOB_TAG, JOBS, Build

AC = dg.AutomationCondition
SENSOR = "refresh_downstream"
# Days in a weekly asset's window that were never loaded do not hold the week back.
DAILY = dg.AssetSelection.tag(CADENCE_TAG, "daily")
# The weekly tables carried from week to week: a day read by any later week changes them in every later week.
CARRIED = {dg.AssetKey("learner_totals"), dg.AssetKey("learner_ips")}
# The weekly assets that gather the week's reports: they wait as the carried tables' readers do.
GATHERERS = {dg.AssetKey("warehouse"), dg.AssetKey("course_dashboards"), dg.AssetKey("instructor_bundles")}


def updated_elsewhere(key: dg.AssetKey, weekly: bool, ignore: dg.AssetSelection | None = None
                      ) -> dg.AutomationCondition:
    """A dependency (outside `ignore`) was updated by a run that did not compute this asset too, or will be
    requested this tick.

    Dagster's `any_deps_updated` tells a run that computed both apart only by the run's asset selection,
    which a run of a whole job (schedule, arrival sensor, job backfill) does not have: while such a run is
    going, a tick could see a dependency updated and this asset no longer in progress, yet not updated, and
    request it a second time. So a dependency updated by a run of this asset's own job (JOB_TAG) does not
    count: that run computes it. Its own previous partition (learner_totals' week before) always counts:
    that run was for another week.
    """
    own_job = AC.executed_with_tags(tag_values={JOB_TAG: JOBS["weekly" if weekly else "daily"]})
    itself = dg.AssetSelection.assets(key)
    parts = [
        AC.any_deps_match((AC.newly_updated() & ~AC.executed_with_root_target() & ~own_job)
                          .with_label("updated by another run")).ignore(itself),
        AC.any_deps_match(AC.newly_updated()).allow(itself),
        AC.any_deps_match(AC.will_be_requested()),
    ]
    if ignore is not None:
        parts = [part.ignore(ignore) for part in parts]
    return (parts[0] | parts[1] | parts[2]).with_label("any_deps_updated (by another run)")


def refresh(key: dg.AssetKey, *, weekly: bool, carried_input: bool = False) -> dg.AutomationCondition:
    """Recompute an existing partition when its inputs changed (see the module's docstring). A weekly
    asset that reads a carried table (`carried_input`) waits for it rather than reacting to the days it
    also reads: the carried table of each later week is refreshed in turn, so reacting to the day as well
    would compute those weeks twice, once on stale totals."""
    updated = updated_elsewhere(key, weekly, DAILY if carried_input else None)
    deps_missing = AC.any_deps_missing().ignore(DAILY) if weekly else AC.any_deps_missing()
    condition = (
        ~AC.missing()
        & updated.since_last_handled()
        & ~deps_missing
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    )
    if carried_input:
        # learner_ips reacts to the day's events, learner_totals to its learner_day a step later: wait while
        # an input's own inputs are being (or about to be) computed, so both carried tables of a week are
        # current before the week's report is computed, once.
        condition = condition & ~AC.any_deps_match(AC.any_deps_match(AC.will_be_requested() | AC.in_progress()))
    return condition.with_label(
        "refresh when an input changed" + (" (days through the carried weeks)" if carried_input else ""))


def condition_for(spec: dg.AssetSpec) -> dg.AutomationCondition | None:
    """The refresh condition of a derived asset (the reports layer, and the purge of retired learners after
    a course re-load); None for deliveries, landings, decryption and the loads, which schedules, sensors
    and people start."""
    if spec.group_name != "reports" and spec.key != dg.AssetKey("retired_learners"):
        return None
    weekly = isinstance(spec.partitions_def, dg.WeeklyPartitionsDefinition)
    carried_input = spec.key in GATHERERS or any(dep.asset_key in CARRIED and dep.asset_key != spec.key
                                                 for dep in spec.deps)
    condition = refresh(spec.key, weekly=weekly, carried_input=carried_input)
    return condition.with_label("refresh when an input changed (after the week's reports)") \
        if spec.key in GATHERERS else condition


def build(ctx: Build) -> dg.Definitions:
    sensor = dg.AutomationConditionSensorDefinition(
        SENSOR, target=dg.AssetSelection.all(), default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=ctx.config.automation_interval_seconds,
        description="Brings every derived partition whose inputs changed up to date (a day loaded again: its "
                    "learner_day, then that week's and every later week's learner_totals and reports), in "
                    "dependency order; creates no new partition.")
    return dg.Definitions(sensors=[sensor])
