"""docs/data-dictionary.md, generated from the warehouse's catalog (catalog.py) and the columns' definitions
(columns.py): `python -m edx_assets.edx.reports.dictionary > docs/data-dictionary.md`. A test fails when the
file is stale."""

from __future__ import annotations

from edx_assets.edx.reports import catalog

HEADER = """# Data dictionary: the warehouse (`edx.duckdb`)

Generated from `edx_assets/edx/reports/catalog.py` and `columns.py` (the same definitions the Dagster UI
shows as each asset's column schema, and `edx.duckdb` carries as `COMMENT ON` every table, view and column).
Regenerate: `.venv/bin/python -m edx_assets.edx.reports.dictionary > docs/data-dictionary.md`.

Open it: `make demo` prints its path (`.edx-local/data/warehouse/edx.duckdb` locally; under `EDX_DATA_DIR`
elsewhere). From Python: `duckdb.connect(path, read_only=True)`; any DuckDB client or BI tool that reads
DuckDB files opens it the same way. The definitions are in the file:
`SELECT table_name, column_name, comment FROM duckdb_columns() WHERE NOT internal`.

What is in it:
- one table per weekly report, every week loaded so far (`week`, a date: the week's Sunday), and a view
  `latest_<table>` of the newest week;
- the dimensions `dim_course`, `dim_learner`, `dim_module` (views of the newest week);
- the daily facts `fact_learner_day` and `fact_activity_daily`: views over Parquet files partitioned by day
  (`warehouse/facts/<table>/day=<day>/`), every day loaded so far.

Personal data is what the report files hold (EDX_REPORTS_PII); small cells are not suppressed in the
partner's own warehouse (only what leaves the platform is).
"""


def _table(name: str, table: catalog.Table, title: str) -> list[str]:
    lines = [f"### {title}", "", catalog.definition(name) + ".", "", f"Keys: {', '.join(f'`{k}`' for k in table.keys)}.", "",
             "| column | type | definition |", "|---|---|---|"]
    lines += [f"| `{c}` | {k} | {t.replace('|', '/')} |" for c, k, t in catalog.describe(name, table.columns)]
    return [*lines, ""]


def render() -> str:
    lines = [HEADER, "## How the tables join", "", "| from | to | on |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {on} |" for a, b, on in catalog.JOINS]
    lines += ["", "## Worked examples", "", "Each runs on the demo's warehouse (the tests run them).", ""]
    for i, (title, sql) in enumerate(catalog.EXAMPLES, 1):
        lines += [f"{i}. {title}", "", "```sql", sql + ";", "```", ""]
    lines += ["## Weekly tables", "", "Each also has `week` (date, first column) and a view `latest_<table>`.", ""]
    for name, table in catalog.TABLES.items():
        lines += _table(name, table, f"`{name}`")
    lines += ["## Dimensions", ""]
    for view, (definition, sql, source) in catalog.VIEWS.items():
        lines += [f"### `{view}`", "", definition + ".", "", "```sql", sql, "```", "",
                  f"Columns: those of `{source}` (below `week`), defined there.", ""]
    lines += ["## Daily facts", ""]
    for view, fact in catalog.FACT_VIEWS.items():
        table = catalog.FACTS[fact]
        lines += _table(view, catalog.Table(table.definition, [*table.columns, "day"], table.keys), f"`{view}`")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
