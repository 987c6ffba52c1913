"""The SQL warehouse and the course dashboards (opened from disk in Chromium with the network cut off)."""

import re
from pathlib import Path

import pytest

from edx_assets_tests.defs.reports.truth import MIN_CELL, WEEK, WORLD, readme_queries
from edx_assets_tests.support import ROOT, read_rows


def test_warehouse_holds_every_report_of_the_week_as_typed_tables(run):
    import subprocess
    import sys

    import duckdb

    database = run["dir"].parents[1] / "warehouse" / "edx.duckdb"
    files = {p.name: p for p in run["dir"].glob("*.csv") if not p.name.endswith("_active_users.csv")
             and p.name != "integrity_signals.csv"}  # (stays out of the warehouse: signals about individuals)
    assert (run["dir"] / "integrity_signals.csv").is_file()
    assert len(files) >= 18
    con = duckdb.connect(str(database), read_only=True)
    try:
        for name, path in files.items():
            table = re.sub(r"_\d{4}-\d{2}-\d{2}$", "", name.removesuffix(".csv"))
            rows = len(read_rows(path))
            assert con.execute(f'select count(*) from "{table}" where week = date \'{WEEK}\'').fetchone()[0] == rows
            assert con.execute(f'select count(*) from "latest_{table}"').fetchone()[0] == rows, table
            assert (run["dir"] / "parquet" / f"{table}.parquet").is_file()
        assert not (run["dir"] / "parquet" / "integrity_signals.parquet").exists()
        assert "integrity_signals" not in {t for (t,) in con.execute("select table_name from information_schema.tables"
                                                                     ).fetchall()}
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_name = 'person_course'").fetchall())
        assert (types["week"], types["nevents"], types["first_event"], types["grade"], types["username"]) == (
            "DATE", "BIGINT", "TIMESTAMP", "DOUBLE", "VARCHAR")
        # The README's queries run, and the funnel is person_course's (read with the csv module).
        funnel, active, wrong = (con.execute(q).fetchall() for q in readme_queries())
        people = [r for r in read_rows(run["dir"] / "person_course.csv") if r["is_course_team"] == "0"]
        for course_id, registered, viewed, _explored, certified in funnel:
            mine = [r for r in people if r["course_id"] == course_id]
            assert (registered, viewed, certified) == (
                len(mine), sum(r["viewed"] == "1" for r in mine), sum(r["certified"] == "1" for r in mine))
        assert len(funnel) == len(WORLD.courses) and active and wrong
        assert all(row[3] for row in wrong)  # answer values, most frequent first
    finally:
        con.close()
    cli = Path(sys.executable).parent / "duckdb"
    out = subprocess.run([str(cli), "-readonly", str(database), "select count(*) from latest_person_course"],
                         capture_output=True, text=True, check=True).stdout
    assert str(len(read_rows(run["dir"] / "person_course.csv"))) in out


@pytest.mark.browser
def test_dashboards_open_offline_with_every_chart_drawn_and_no_personal_data(run, tmp_path):
    import shutil

    from playwright.sync_api import sync_playwright

    folder = run["dir"] / "dashboards"
    pages = sorted(folder.glob("*.html"))
    assert len(pages) == len(WORLD.courses) + 2 and {folder / "index.html", folder / "compare.html"} <= set(pages)
    for page_path in pages:  # only aggregates: no learner's username, e-mail or name
        text = page_path.read_text(encoding="utf-8")
        # scripts inline only (Vega's bundle and each chart's spec), nothing to fetch
        assert not re.search(r"<script[^>]*\bsrc=", text) and not re.search(r"(src|href)=\"https?:", text)
        for learner in WORLD.learners:
            assert learner.username not in text and learner.email not in text
        for tile in re.findall(r"<strong>([^<]*)</strong>", text):  # no headline of 1 to 4 learners
            assert tile == f"&lt; {MIN_CELL}" or "%" in tile or int(tile.replace(".", "")) in (0, *range(MIN_CELL, 10**7))
        assert re.search(r'class="suppressed" data-hidden="\d+"', text)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    requested, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1500, "height": 1000}, offline=True)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                      else (requested.append(route.request.url), route.abort()))
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        course = WORLD.courses[0]
        shots = {"dashboard_course.png": next(p for p in pages if p.name != "index.html" and
                                              course.cid.number.lower().replace(".", "_") in p.name),
                 "dashboard_portfolio.png": folder / "index.html", "dashboard_compare.png": folder / "compare.html"}
        whole = {"index.html": 3, "compare.html": 4}
        cohorts_changed = 0
        for page_path in pages:
            page.goto(page_path.as_uri())
            figures = page.locator("figure.chart")
            assert figures.count() == whole.get(page_path.name, 12), page_path.name
            # every drawn chart is made interactive in place of its picture, from disk with the network cut
            page.wait_for_function("document.querySelectorAll('figure.chart[data-interactive]').length == "
                                   "document.querySelectorAll('figure.chart script.spec').length", timeout=30_000)
            assert page.locator("figure.chart[data-interactive]").count() == page.locator(
                "figure.chart script.spec").count() > 0
            for i in range(figures.count()):
                figure = figures.nth(i)
                marks = figure.locator("svg g[class*='mark-'] path, svg g[class*='mark-'] line").count()
                # drawn whenever something is left to draw once cells of 1 to 4 learners are left out
                assert (marks > 0) == (figure.get_attribute("data-rows") != "0"), (
                    page_path.name, figure.get_attribute("data-chart"))
                assert "2026-10-11" in figure.locator("figcaption").inner_text()
            assert page.locator("html").get_attribute("lang") == "es"
            _accessible(page, page_path.name)
            if page_path == shots["dashboard_course.png"]:
                _hover_and_select(page)
            if page_path.name not in whole:
                cohorts_changed += _by_keyboard(page)
            for name, wanted in shots.items():
                if wanted == page_path:
                    page.screenshot(path=str(tmp_path / name), full_page=True)
        browser.close()
    assert requested == [] and errors == [] and cohorts_changed > 0
    for name in shots:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def _hover_and_select(page) -> None:
    """A tooltip names the value under the pointer; the mode selector redraws the enrollment chart."""
    weekly = page.locator('figure[data-chart="weekly_active"]')
    bars = weekly.locator("g[class*='mark-rect'] path")
    labels = [bars.nth(i).get_attribute("aria-label") for i in range(bars.count())]
    shown = next(i for i, label in enumerate(labels) if not label.endswith(": 0"))  # a bar with height
    bars.nth(shown).hover()
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5_000)
    value = labels[shown].rsplit(": ", 1)[1]
    assert value in tooltip.inner_text() and "Estudiantes" in tooltip.inner_text()
    enrollment = page.locator('figure[data-chart="enrollment"]')
    lines = enrollment.locator("g[class*='mark-line'] path")
    before = lines.count()
    options = enrollment.locator("select option").all_inner_texts()
    assert options[0] == "Todas" and len(options) == before + 1 > 2  # all, then each mode drawn
    enrollment.locator("select").select_option(index=1)
    page.wait_for_function("document.querySelectorAll('figure[data-chart=\"enrollment\"] "
                           "g[class*=\"mark-line\"] path').length == 1", timeout=5_000)
    enrollment.locator("select").select_option(index=0)
    page.mouse.move(0, 0)  # (the tooltip gone before the picture)


def _accessible(page, name: str) -> None:
    """axe-core (its own rules, WCAG 2.1 A and AA and best practices) finds nothing on the page, scripts run."""
    from axe_playwright_python.sync_playwright import Axe

    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    found = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}}).response
    assert found["passes"] and not found["violations"], (name, [(v["id"], v["nodes"][0]["target"])
                                                                for v in found["violations"]])


def _by_keyboard(page) -> bool:
    """Every selector of a course's page is reached with Tab, and changed with the arrow keys: the cohort
    selector redraws the retention chart (another cohort's lines). False if the page has one cohort only."""
    controls = page.locator("figure.chart select")
    reached = set()
    page.locator("h1").click()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.closest('figure') && "
                                  "document.activeElement.closest('figure').dataset.chart + ':' + "
                                  "document.activeElement.tagName"))
    expected = {f"{f.get_attribute('data-chart')}:SELECT" for f in page.locator("figure.chart:has(select)").all()}
    assert expected <= reached and controls.count() == len(expected) >= 1, (expected, reached)
    retention = page.locator('figure[data-chart="retention"]')
    choice = retention.locator("select")
    if not choice.count() or choice.locator("option").count() < 2:
        return False
    first = choice.input_value()
    choice.focus()
    page.keyboard.press("ArrowDown" if choice.evaluate("s => s.selectedIndex < s.options.length - 1") else "ArrowUp")
    picked = choice.input_value()
    assert picked != first
    # each point names its cohort (in its tooltip and its aria-label): now only the picked one's are drawn
    page.wait_for_function("([picked, first]) => { const l = [...document.querySelectorAll("
                           "'figure[data-chart=\"retention\"] g[class*=\"mark-symbol\"][class*=\"role-mark\"] path')]"
                           ".map(e => "
                           "e.getAttribute('aria-label') || ''); return l.length > 0 && l.every(a => a.includes(picked)) "
                           "&& !l.some(a => a.includes(first)); }", arg=[picked, first], timeout=5_000)
    return True


def _spec_rows(text: str, key: str) -> list[dict]:
    """The rows a page's chart `key` draws: its Vega-Lite spec's first dataset."""
    import json

    block = text.split(f'data-chart="{key}"', 1)[1].split("</figure>", 1)[0]
    spec = json.loads(block.split('<script type="application/json" class="spec">', 1)[1].split("</script>", 1)[0]
                      .replace("<\\/", "</"))
    return next(iter(spec["datasets"].values()))


def test_the_comparison_puts_every_course_on_the_same_axes(run):
    """compare.html's funnel shares are each course's learners (person_course.csv, course team left out) who
    viewed / were certified over its registered learners; its video figure is the median completion share of
    the videos video_engagement.csv shows (at least EDX_MIN_CELL viewers); a bar links to the course's page."""
    import statistics

    text = (run["dir"] / "dashboards" / "compare.html").read_text(encoding="utf-8")
    names = {r["id"]: r["name"] for r in read_rows(run["dir"] / "general_report.csv")}
    names = {cid: f"{name} ({cid.rsplit('+', 1)[-1].rsplit('/', 1)[-1]})" if list(names.values()).count(name) > 1
             else name for cid, name in names.items()}  # runs of one course: named with their run
    people: dict[str, list[dict]] = {}
    for row in read_rows(run["dir"] / "person_course.csv"):
        if row["is_course_team"] == "0":
            people.setdefault(row["course_id"], []).append(row)
    funnel = {(r["course"], r["stage"]): r for r in _spec_rows(text, "c_funnel")}
    checked = 0
    for cid, rows in people.items():
        for stage, column in (("Vieron contenido", "viewed"), ("Certificados", "certified")):
            count = sum(r[column] == "1" for r in rows)
            shown = funnel.get((names[cid], stage))
            if count == 0 or count >= MIN_CELL:
                assert shown and shown["learners"] == count and shown["registered"] == len(rows), (cid, stage)
                assert abs(shown["share"] - count / len(rows)) < 1e-12 and shown["link"].endswith(".html")
                checked += 1
            else:
                assert shown is None, (cid, stage)
    assert checked >= len(people)
    videos: dict[str, list[float]] = {}
    for row in read_rows(run["dir"] / "video_engagement.csv"):
        if row["viewers"] and int(row["viewers"]) >= MIN_CELL and row["completion_share"] and (
                row["completers"] and int(row["completers"]) in (0, *range(MIN_CELL, 10**6))):
            videos.setdefault(row["course_id"], []).append(float(row["completion_share"]))
    shown = {r["course"]: r["median_completion"] for r in _spec_rows(text, "c_video")}
    assert shown == {names[cid]: statistics.median(v) for cid, v in videos.items()} and shown


def test_no_dashboard_figure_describes_fewer_than_min_cell_learners(run, tmp_path):
    """Every chart's data as drawn (the pages built again from the run's files): each learner count is 0 or at
    least EDX_MIN_CELL, and what was left out is counted on the page; with EDX_MIN_CELL=1 nothing is."""
    import shutil

    from edx_assets.edx import dashboards

    folder = tmp_path / WEEK
    shutil.copytree(run["dir"], folder)
    counts = {"enrollment": ["cumulative_enrollments"], "weekly_active": ["active"], "funnel": ["learners"],
              "grades": ["learners"], "video_completion": ["viewers", "completers"], "dropoff": ["viewers"],
              "hardest": ["learners_attempted"], "countries": ["registered"],
              "outline": ["learners_reached", "learners_completed"], "hardest_items": ["learners"],
              "least_discriminating": ["learners"], "retention": ["learners", "active_learners"],
              "c_funnel": ["learners", "registered"], "c_video": [], "c_active": ["active"],
              "c_runs": ["learners", "registered"],
              "p_registered": ["registered"], "p_certified": ["registered", "certified"], "p_at_risk": ["at_risk"]}
    pages = dashboards.build(folder, run["dir"].parent, "en", "2026-10-11", MIN_CELL)
    assert sum(p.hidden for p in pages) > 0
    all_hidden = 0
    for page in pages:  # a chart with data but none of it shown says so, not "no data yet"
        text = page.path.read_text(encoding="utf-8")
        for key in (k for k, frame in page.drawn.items() if frame.height == 0):
            block = text.split(f'data-chart="{key}"', 1)[1].split("</figure>", 1)[0]
            hidden = page.hidden_in.get(key, 0) > 0
            all_hidden += hidden
            assert ("Hidden: every value describes fewer than 5 learners" in block) == hidden, (page.path.name, key)
            assert ("No data yet" in block) == (not hidden), (page.path.name, key)
    assert all_hidden > 0  # the small world has such charts (a course's few certificates' grades)
    for page in pages:
        for key, frame in page.drawn.items():
            for column in counts[key]:
                values = [float(v) for v in frame.get_column(column).to_list() if v is not None]
                assert all(v == 0 or v >= MIN_CELL for v in values), (page.path.name, key, column)
    whole = dashboards.build(folder, run["dir"].parent, "en", "2026-10-11", 1)
    # with EDX_MIN_CELL=1 only what geography's file already emptied (its countries of 1 to 4) stays out
    emptied_at_source = sum(1 for r in read_rows(folder / "geography.csv") if not r["registered"])
    assert sum(p.hidden for p in whole) == emptied_at_source < sum(p.hidden for p in pages)
    assert sum(f.height for p in whole for f in p.drawn.values()) > sum(f.height for p in pages for f in p.drawn.values())


def _warehouse(run):
    import duckdb

    return duckdb.connect(str(run["dir"].parents[1] / "warehouse" / "edx.duckdb"), read_only=True)


def test_every_table_view_and_column_of_the_warehouse_is_described_with_the_uis_own_text(run):
    import pyarrow.parquet as pq

    con = _warehouse(run)
    try:
        undescribed = con.execute("select table_name, column_name from duckdb_columns() where not internal "
                                  "and coalesce(comment, '') = ''").fetchall()
        assert undescribed == []
        relations = dict(con.execute("select table_name, comment from duckdb_tables() union all "
                                     "select view_name, comment from duckdb_views() where not internal").fetchall())
        assert all(relations.values()), [n for n, c in relations.items() if not c]
        assert {"dim_course", "dim_learner", "dim_module", "fact_learner_day", "fact_activity_daily",
                "latest_person_course", "person_item", "course_axis"} <= set(relations)
        comments = {}
        for table, column, comment in con.execute("select table_name, column_name, comment from duckdb_columns() "
                                                  "where not internal").fetchall():
            comments.setdefault(table, {})[column] = comment
    finally:
        con.close()
    # One source: the column schema the UI shows for each report is the warehouse's comments, word for word.
    compared = 0
    for event in run["result"].get_asset_materialization_events():
        table = event.asset_key.to_user_string()
        schema = event.materialization.metadata.get("dagster/column_schema")
        if table not in comments or schema is None:
            continue
        shown = {c.name: c.description for c in schema.value.columns}
        # (the warehouse adds `week` to every table; a table that has its own keeps its definition)
        assert shown == {c: t for c, t in comments[table].items() if c != "week" or c in shown}, table
        compared += 1
    assert compared >= 20
    # ...and the Parquet files' field metadata.
    fields = pq.read_schema(run["dir"] / "parquet" / "person_item.parquet")
    assert {f.name: f.metadata[b"description"].decode() for f in fields} == comments["person_item"]
    assert fields.metadata[b"description"].decode() == relations["person_item"]


def test_the_catalogs_columns_are_the_files_and_the_dictionary_shows_them(run):
    import csv

    from edx_assets.edx.reports import catalog

    for path in run["dir"].glob("*.csv"):
        table = re.sub(r"_\d{4}-\d{2}-\d{2}$", "", path.name.removesuffix(".csv"))
        if table in catalog.TABLES:
            with path.open(encoding="utf-8", newline="") as handle:
                assert next(csv.reader(handle)) == catalog.TABLES[table].columns, table
    text = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert all(f"### `{t}`" in text for t in catalog.TABLES)


def test_the_daily_facts_are_every_day_of_the_week_and_the_dictionarys_examples_run(run):
    from edx_assets.edx.reports import catalog

    con = _warehouse(run)
    try:
        results = [con.execute(sql).fetchall() for _, sql in catalog.EXAMPLES]
        assert all(results), [title for (title, _), rows in zip(catalog.EXAMPLES, results, strict=True) if not rows]
        # Example 2 is every activity_daily file of the week, read with the csv module.
        daily = sorted((r["course_id"], day.name, int(r["active_users"]), int(r["events"]))
                       for day in (run["dir"].parents[0] / "daily").iterdir()
                       for r in read_rows(day / "activity_daily.csv"))
        assert [(c, d.isoformat(), a, e) for c, d, a, e in results[1]] == daily
        # The learner days add up to the same events per course and day.
        per_day = con.execute("select course_id, day, sum(nevents) from fact_learner_day group by all "
                              "order by all").fetchall()
        assert [(c, d.isoformat(), int(n)) for c, d, n in per_day] == [(c, d, e) for c, d, _, e in daily]
        # Example 5's newest week is person_course's certified learners, read with the csv module.
        people = read_rows(run["dir"] / "person_course.csv")
        newest = {c: (int(n), m) for w, c, n, m in results[4] if w.isoformat() == WEEK}
        assert newest == {c: (sum(r["certified"] == "1" for r in people if r["course_id"] == c),
                              sum(r["course_id"] == c for r in people)) for c in {r["course_id"] for r in people}}
    finally:
        con.close()


def test_each_course_team_gets_its_course_and_nothing_of_another(run, s3_client):
    import csv

    from edx_assets.edx.warehouse import table_of

    folder = run["dir"] / "courses"
    ids = {c.cid.v1 for c in WORLD.courses}
    bundles = {p.name: p for p in folder.iterdir()}
    assert len(bundles) == len(ids)
    pages = {p.name: p.read_bytes() for p in (run["dir"] / "dashboards").glob("*.html")}
    column_of = {"general_report": "id", "enrollments_report": "mooc_id"}
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=run["names"]["reports"]).get("Contents", [])}
    for slug, bundle in bundles.items():
        [page] = [p for p in bundle.iterdir() if p.suffix == ".html"]
        assert page.read_bytes() == pages[page.name] and page.name == f"{slug}.html"
        course = None
        for path in sorted(bundle.glob("*.csv")):
            table = table_of(path.name)
            column = column_of.get(table, "course_id")
            rows = read_rows(path)
            courses = {r[column] for r in rows}
            assert len(courses) <= 1, (slug, path.name)
            course = course or next(iter(courses), None)
            # ...and every row of that course in the week's file, read with the csv module, in the same order
            with (run["dir"] / path.name).open(encoding="utf-8", newline="") as handle:
                expected = [r for r in csv.DictReader(handle) if r[column] == course]
            assert rows == expected, (slug, path.name)
            assert f"reports/{WEEK}/courses/{slug}/{path.name}" in keys
        assert course in ids and course not in {None}
        ids.discard(course)
        names = {p.name for p in bundle.glob("*.csv")}
        assert "learner_locations.csv" not in names and "integrity_signals.csv" not in names
        assert {"person_course.csv", "general_report.csv", "course_item.csv", f"learners_master_{WEEK}.csv"} <= names
    assert ids == set()  # each course once
