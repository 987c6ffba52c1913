"""The Dagster UI over the code location right after the shared demo (conftest.py), as an engineer would meet it: the demo's runs
are the code location's runs, the sensors request nothing already loaded, one asset can be materialized
alone for one day as the UI does it, every table shows typed columns, and the pages render in Chromium."""

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from edx_assets.config import EdxConfig
from edx_assets.definitions import build_defs
from edx_assets.local.stack import free_port, read_env_file
from edx_assets_tests.local.demo_world import DAYS, WEEKS
from edx_assets_tests.support import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.services]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SENSOR_INTERVAL = 5  # seconds, so that two sensor ticks pass within the test
REPOSITORY_LABEL = "__repository__@edx_assets"


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    assert not payload.get("errors"), payload["errors"]
    return payload["data"]


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _runs(url: str) -> list[dict]:
    data = _graphql(url, """{ runsOrError(limit: 200) { ... on Runs { results {
        runId jobName status tags { key value } } } } }""")
    return data["runsOrError"]["results"]


@pytest.fixture(scope="module")
def ui(demo):
    """The webserver and the daemon over the shared demo's DAGSTER_HOME, with its settings (what `make dev`
    starts), with sensors looking every few seconds."""
    stack = demo["stack"]
    served = {**demo["env"], **read_env_file(stack.env_file), "EDX_SENSOR_INTERVAL_SECONDS": str(SENSOR_INTERVAL)}
    bin_dir = Path(sys.executable).parent
    port = free_port()
    web = _start([str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
                 served, stack.log_dir / "webserver.log")
    daemon = _start([str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"], served,
                    stack.log_dir / "daemon.log")
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if _graphql(url, "{ version }")["version"]:
                    break
            except OSError:
                pass
            if web.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dagster-webserver did not start: {(stack.log_dir / 'webserver.log').read_text()[-2000:]}")
            time.sleep(1)
        _graphql(url, "mutation { setNuxSeen }")  # the first-visit dialog would cover the page
        yield {"url": url, "stack": stack}
    finally:
        _stop(daemon)
        _stop(web)


def _sensor_ticks(url: str, name: str) -> list[dict]:
    data = _graphql(url, """query($name: String!) { sensorOrError(sensorSelector: {
        repositoryLocationName: "edx_assets", repositoryName: "__repository__", sensorName: $name}) {
        ... on Sensor { sensorState { ticks(limit: 20) { status runIds } } } } }""", {"name": name})
    return data["sensorOrError"]["sensorState"]["ticks"]


def test_the_demos_runs_are_the_code_locations_and_the_sensors_request_nothing_more(ui):
    url = ui["url"]
    runs = _runs(url)
    assert sorted((r["jobName"], r["status"]) for r in runs) == sorted(
        [("daily_events_job", "SUCCESS")] * len(DAYS) + [("weekly_courses_job", "SUCCESS")] * len(WEEKS))
    # What the job pages and the timeline filter on: the run belongs to this code location.
    for job, expected in (("daily_events_job", len(DAYS)), ("weekly_courses_job", len(WEEKS))):
        data = _graphql(url, """query($job: String!, $label: String!) { runsOrError(filter: {pipelineName: $job,
            tags: [{key: ".dagster/repository", value: $label}]}) { ... on Runs { results { runId } } } }""",
                        {"job": job, "label": REPOSITORY_LABEL})
        assert len(data["runsOrError"]["results"]) == expected, (job, runs[0]["tags"])
    deadline = time.monotonic() + 120
    while True:  # two looks of each arrival sensor at the buckets, every object already landed
        ticks = {name: _sensor_ticks(url, name) for name in ("event_log_arrivals", "course_package_arrivals")}
        if all(len([t for t in found if t["status"] in ("SKIPPED", "SUCCESS")]) >= 2 for found in ticks.values()):
            break
        assert time.monotonic() < deadline, ticks
        time.sleep(2)
    assert [run_id for found in ticks.values() for t in found for run_id in t["runIds"]] == []
    assert len(_runs(url)) == len(runs)


def test_eventos_alone_for_one_day_succeeds_as_the_ui_launches_it(ui):
    url = ui["url"]
    before = {r["runId"] for r in _runs(url)}
    data = _graphql(url, """mutation($params: ExecutionParams!) { launchPipelineExecution(executionParams: $params) {
        __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""", {"params": {
        "selector": {"repositoryLocationName": "edx_assets", "repositoryName": "__repository__",
                     "pipelineName": "__ASSET_JOB", "assetSelection": [{"path": ["eventos"]}]},
        "mode": "default", "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DAYS[2]}]}}})
    launched = data["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    assert run_id not in before
    deadline = time.monotonic() + 240
    while True:  # queued, then launched by the daemon
        [run] = [r for r in _runs(url) if r["runId"] == run_id]
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        assert time.monotonic() < deadline, run
        time.sleep(2)
    assert run["status"] == "SUCCESS"  # the decrypted file was gone: eventos decrypted the landed one again


def _column_schema(url: str, asset: str) -> list[dict]:
    data = _graphql(url, """query($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) {
        ... on AssetNode { assetMaterializations(limit: 1) { metadataEntries { label
            ... on TableSchemaMetadataEntry { schema { columns { name type description } } } } } } } }""",
                    {"path": [asset]})
    [materialization] = data["assetNodeOrError"]["assetMaterializations"]
    [entry] = [e for e in materialization["metadataEntries"] if e["label"] == "dagster/column_schema"]
    return entry["schema"]["columns"]


@pytest.mark.parametrize("asset", ["eventos", "course_collections", "person_course", "general_report",
                                   "course_summary", "learner_locations_report"])
def test_tables_show_typed_and_described_columns(ui, asset):
    columns = _column_schema(ui["url"], asset)
    assert len(columns) >= 5
    assert all(c["description"] for c in columns), asset
    assert {c["type"] for c in columns} - {"string"}, f"{asset}: every column typed string"


def test_every_asset_check_schedule_and_sensor_is_served_and_running(ui):
    data = _graphql(ui["url"], """{
      repositoriesOrError { ... on RepositoryConnection { nodes {
        schedules { name scheduleState { status } } sensors { name sensorState { status } } } } }
      assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } }
    }""")
    served_assets = {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}
    defs = build_defs(EdxConfig())
    expected_assets = {s.key.to_user_string() for s in defs.resolve_all_asset_specs()}
    assert served_assets == expected_assets and len(expected_assets) >= 13
    served_checks = {("/".join(n["assetKey"]["path"]), c["name"])
                     for n in data["assetNodes"] for c in n["assetChecksOrError"].get("checks", [])}
    expected_checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert served_checks == expected_checks and len(expected_checks) >= 20
    [repo] = data["repositoriesOrError"]["nodes"]
    assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {
        "daily_events_schedule": "RUNNING", "weekly_courses_schedule": "RUNNING"}
    assert {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]} == {
        "event_log_arrivals": "RUNNING", "course_package_arrivals": "RUNNING", "record_run_failures": "RUNNING",
        "data_freshness": "RUNNING", "refresh_downstream": "RUNNING"}


def _browser(p):
    assert os.path.exists(CHROMIUM), "chromium is installed by `make test` (Debian package)"
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


def _png(path: Path, minimum: int = 50_000) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > minimum  # a rendered page, not a blank one


def test_lineage_and_asset_pages_render_in_chromium(ui, tmp_path):
    from playwright.sync_api import sync_playwright

    url = ui["url"]
    with sync_playwright() as p:
        browser = _browser(p)
        # Square and large: the graph is fitted to the page, and a smaller zoom shortens the names it shows.
        page = browser.new_page(viewport={"width": 2600, "height": 2600})
        page.goto(f"{url}/assets/learners_master?view=lineage&lineageScope=upstream&lineageDepth=7")
        page.get_by_text("learners_master", exact=True).first.wait_for(state="visible", timeout=90_000)
        for name in ("s3_event_log", "raw_event_log", "decrypted_event_log", "eventos", "s3_course_package",
                     "raw_course_package", "decrypted_course_package", "course_collections",
                     "learner_locations_report", "learners_master"):
            page.get_by_text(name, exact=True).first.wait_for(state="visible", timeout=90_000)
        for group in ("delivery", "raw", "decrypted", "mongo", "reports"):
            assert page.get_by_text(group, exact=True).count() >= 1
        page.screenshot(path=str(tmp_path / "lineage.png"))
        # The asset page shows the typed columns with their definitions.
        page.goto(f"{url}/assets/person_course")
        page.get_by_text("the course grade passes", exact=False).first.wait_for(
            state="visible", timeout=60_000)
        page.screenshot(path=str(tmp_path / "person_course.png"), full_page=True)
        browser.close()
    for name in ("lineage.png", "person_course.png"):
        _png(tmp_path / name)
        if os.environ.get("EDX_UPDATE_SCREENSHOTS"):  # refresh the README's pictures
            shutil.copy(tmp_path / name, ROOT / "docs" / name)
