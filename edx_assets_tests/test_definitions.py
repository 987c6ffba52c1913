"""The code location loads, its graph is what review expects, and its schedules ask for the right
partitions. No service is needed: definitions are built from a configuration, not the environment."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster_aws.s3 import S3Resource

from edx_assets.config import ConfigError, EdxConfig
from edx_assets.definitions import build_defs
from edx_assets_tests.support import ROOT

DEFS = build_defs(EdxConfig())
SNAPSHOT = Path(__file__).with_name("asset_graph.json")
daily_events_schedule = DEFS.resolve_schedule_def("daily_events_schedule")


def test_definitions_validate():
    dg.Definitions.validate_loadable(DEFS)


def graph_snapshot(defs: dg.Definitions) -> dict:
    """Keys, groups, kinds, partitions, dependencies, checks, automation, jobs, schedules and sensors: what a
    structural change alters."""
    graph = defs.resolve_asset_graph()
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    checks: dict[str, list[str]] = {}
    for key in graph.asset_check_keys:
        checks.setdefault(key.asset_key.to_user_string(), []).append(key.name)
    assets = {}
    for name, spec in sorted(specs.items()):
        node = graph.get(spec.key)
        assets[name] = {
            "group": spec.group_name,
            "kinds": sorted(spec.kinds),
            "partitions": type(spec.partitions_def).__name__ if spec.partitions_def else None,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(checks.get(name, [])),
            "automation": node.automation_condition.get_label() if node.automation_condition else None,
        }
    jobs = {j.name: sorted(k.to_user_string() for k in j.asset_layer.executable_asset_keys)
            for j in defs.resolve_all_job_defs() if not j.name.startswith("__")}
    return {
        "assets": assets,
        "jobs": jobs,
        "schedules": sorted(s.name for s in defs.get_repository_def().schedule_defs),
        "sensors": sorted(s.name for s in defs.get_repository_def().sensor_defs),
    }


def test_the_asset_graph_is_the_reviewed_one():
    """A structural change (an asset, a dependency, a check, a job) shows in review as a change of
    asset_graph.json. After a deliberate change: EDX_UPDATE_SNAPSHOT=1 pytest -k reviewed_one."""
    current = graph_snapshot(DEFS)
    if __import__("os").environ.get("EDX_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())


def test_lineage_assets_groups_and_kinds():
    graph = DEFS.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"raw_event_log", "decrypted_event_log", "eventos"} <= keys
    specs = {s.key.to_user_string(): s for s in DEFS.resolve_all_asset_specs()}
    assert specs["raw_event_log"].group_name == "raw"
    assert specs["decrypted_event_log"].group_name == "decrypted"
    assert specs["eventos"].group_name == "mongo"
    assert "mongodb" in specs["eventos"].kinds and "s3" in specs["raw_event_log"].kinds
    for spec in specs.values():
        assert spec.description and spec.owners
    assert graph.get(dg.AssetKey("eventos")).parent_keys == {dg.AssetKey("decrypted_event_log")}


def test_every_asset_module_is_named_after_its_asset():
    """One module per asset, named after it; a step that makes two assets (decrypting and loading) is in the
    module of the asset it ends with."""
    folder = ROOT / "edx_assets" / "defs"
    for spec in DEFS.resolve_all_asset_specs():
        made_with = {key.to_user_string() for key in DEFS.resolve_assets_def(spec.key).keys}
        assert any(list(folder.glob(f"*/{name}.py")) for name in made_with), spec.key


def test_the_configuration_is_passed_in_not_read_at_import():
    later = build_defs(EdxConfig(partitions_start=date(2027, 1, 1), daily_schedule_cron="0 6 * * *"))
    schedule = later.resolve_schedule_def("daily_events_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    spec = next(s for s in later.resolve_all_asset_specs() if s.key.to_user_string() == "eventos")
    assert spec.partitions_def.start.date() == date(2027, 1, 1)
    with pytest.raises(ConfigError, match="EDX_PARTITIONS_START"):
        EdxConfig.from_env({"EDX_PARTITIONS_START": "next monday"})
    with pytest.raises(ConfigError, match="EDX_REPORTS_PII"):
        EdxConfig.from_env({"EDX_REPORTS_PII": "everything"})


def test_daily_schedule_skips_days_before_the_partitions_start():
    # Decided before S3 is asked: an S3 resource pointing nowhere is never used.
    s3 = S3Resource(endpoint_url="http://127.0.0.1:9", region_name="us-east-1")
    with dg.build_schedule_context(scheduled_execution_time=datetime(2026, 10, 1, 20, tzinfo=UTC),
                                   resources={"s3": s3}, repository_def=DEFS.get_repository_def()) as context:
        result = daily_events_schedule.evaluate_tick(context)
    assert not result.run_requests and "before EDX_PARTITIONS_START" in result.skip_message


def test_data_time_freshness_checks_watch_the_newest_day_and_week():
    checks = {(k.asset_key.to_user_string(), k.name) for k in DEFS.resolve_asset_graph().asset_check_keys}
    assert {("eventos", "newest_day_is_recent"), ("course_collections", "newest_week_is_recent")} <= checks
    sensor = DEFS.get_repository_def().get_sensor_def("data_freshness")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_freshness_is_the_age_of_the_newest_data_not_of_the_last_run():
    from datetime import timedelta

    from edx_assets.edx.freshness import assess

    now = datetime(2026, 11, 26, 19, 0, tzinfo=UTC)
    limit = timedelta(hours=48)
    # 19:00, yesterday's file not loaded yet (20:00): the day before yesterday ended 43 h ago.
    assert assess(["2026-11-24", "2026-10-04"], now, limit, whole_day=True).fresh
    # Re-running a month-old day changes nothing: the newest data is what counts.
    stale = assess(["2026-10-04", "2026-11-22"], now, limit, whole_day=True)
    assert not stale.fresh and stale.newest.isoformat() == "2026-11-22" and "STALE" in stale.describe("day")
    assert not assess([], now, limit, whole_day=True).fresh
    week = timedelta(days=8)
    assert assess(["2026-11-22"], now, week, whole_day=False).fresh  # Sunday's package, four days ago
    assert not assess(["2026-11-15"], now, week, whole_day=False).fresh


def test_every_computed_asset_is_versioned_by_its_code():
    """No fixed version: every asset Dagster materializes carries the digest of the code that computes it
    (defs/versions.py); only the observed S3 objects have none."""
    graph = DEFS.resolve_asset_graph()
    versions = {k.to_user_string(): graph.get(k).code_version for k in graph.get_all_asset_keys()}
    unversioned = sorted(name for name, v in versions.items() if not (v and len(v) == 12 and int(v, 16) >= 0))
    assert unversioned == ["s3_course_package", "s3_event_log"]


def test_a_change_to_the_code_that_computes_an_asset_changes_its_version(tmp_path):
    """In a copy of the package, one line added to the grades module changes the version of every asset
    whose computation reads grades (stated here by hand), and of no other."""
    import shutil

    from edx_assets.defs import versions

    package = Path(versions.__file__).resolve().parents[1]
    shutil.copytree(package, tmp_path / "edx_assets", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "edx_assets" / "edx" / "reports" / "grades.py").open("a") as handle:
        handle.write("\nPASS_RULE_REVISION = 2  # a change to the computation\n")
    modules = {name: f"edx_assets.defs.{lineage}.{name}" for lineage, names in {
        "reports": ["person_grades", "grading_policy", "person_course", "general_report", "learners_master",
                    "course_axis", "person_subsection_grades", "learner_day", "activity_daily"],
        "events": ["eventos", "raw_event_log"], "courses": ["course_collections"]}.items() for name in names}
    changed = {name for name, module in modules.items()
               if versions.code_version(module) != versions.code_version(module, root=tmp_path)}
    assert changed == {"person_grades", "grading_policy", "person_course", "general_report", "learners_master",
                       "course_axis", "person_subsection_grades"}


def test_dg_scaffold_defs_adds_an_asset_that_dg_list_defs_finds(tmp_path):
    """Dagster's own tools on a copy of the project: `dg scaffold defs dagster.asset` in a lineage folder and
    at the defs root, then `dg check defs` and `dg list defs` find both assets beside the lineage's own,
    with the global policy (an owner) applied to them."""
    import os
    import shutil
    import subprocess
    import sys

    root = ROOT
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copytree(root / "edx_assets", copy / "edx_assets", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "workspace.yaml"):
        shutil.copy(root / name, copy / name)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": str(copy), "VIRTUAL_ENV": str(bin_dir.parent),
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def dg_cli(*args: str) -> str:
        done = subprocess.run([str(bin_dir / "dg"), *args], cwd=copy, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    dg_cli("scaffold", "defs", "dagster.asset", "reports/lesson_counts.py")
    dg_cli("scaffold", "defs", "dagster.asset", "partner_extract.py")
    assert (copy / "edx_assets" / "defs" / "reports" / "lesson_counts.py").is_file()
    assert "All definitions loaded successfully" in dg_cli("check", "defs")
    listed = {a["asset_key"]: a for a in json.loads(dg_cli("list", "defs", "--json"))["assets"]}
    assert {"lesson_counts", "partner_extract", "person_course", "eventos"} <= set(listed)
    assert listed["lesson_counts"]["owners"] == [{"team": "data-platform"}]
    assert listed["person_course"]["owners"] == [{"team": "data-platform"}]
