"""The Dagster UI over the code location: GraphQL inventory and the lineage page in headless Chromium."""

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
from edx_assets.local.stack import free_port

pytestmark = [pytest.mark.browser, pytest.mark.services]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


@pytest.fixture(scope="module")
def webserver(stack, tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster-home")
    port = free_port()
    env = {**os.environ, **stack.env(), "DAGSTER_HOME": str(home), "EDX_DATA_DIR": str(home / "data")}
    log = (home / "webserver.log").open("wb")
    proc = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
         "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _graphql(url, "{ version }")["version"]:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dagster-webserver did not start: {(home / 'webserver.log').read_text()[-2000:]}")
            time.sleep(1)
        _graphql(url, "mutation { setNuxSeen }")  # the first-visit dialog would cover the page
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_every_asset_check_schedule_and_sensor_is_served_and_running(webserver):
    data = _graphql(webserver, """{
      repositoriesOrError { ... on RepositoryConnection { nodes {
        schedules { name scheduleState { status } } sensors { name sensorState { status } } } } }
      assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } }
    }""")
    served_assets = {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}
    defs = build_defs(EdxConfig())
    expected_assets = {s.key.to_user_string() for s in defs.resolve_all_asset_specs()}
    assert served_assets == expected_assets and len(expected_assets) >= 11
    served_checks = {("/".join(n["assetKey"]["path"]), c["name"])
                     for n in data["assetNodes"] for c in n["assetChecksOrError"].get("checks", [])}
    expected_checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert served_checks == expected_checks and len(expected_checks) >= 10
    [repo] = data["repositoriesOrError"]["nodes"]
    assert {s["name"]: s["scheduleState"]["status"] for s in repo["schedules"]} == {
        "daily_events_schedule": "RUNNING", "weekly_courses_schedule": "RUNNING"}
    assert {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]} == {
        "event_log_arrivals": "RUNNING", "course_package_arrivals": "RUNNING", "record_run_failures": "RUNNING"}


def test_lineage_page_renders_the_asset_graph_in_chromium(webserver, tmp_path):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "chromium is installed by `make test` (Debian package)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1800, "height": 1100})
        page.goto(f"{webserver}/assets/learners_master?view=lineage&lineageScope=upstream&lineageDepth=6")
        for name in ("raw_event_log", "decrypted_event_log", "eventos", "raw_course_package",
                     "decrypted_course_package", "course_collections", "learner_locations_report",
                     "learners_master"):
            page.get_by_text(name, exact=True).first.wait_for(state="visible", timeout=60_000)
        for group in ("raw", "decrypted", "mongo", "reports"):
            assert page.get_by_text(group, exact=True).count() >= 1
        shot = tmp_path / "lineage.png"
        page.screenshot(path=str(shot))
        browser.close()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a rendered graph, not a blank page
