"""Every column of every report file is typed and defined, so the UI's column schema never says just
`string` with no description (no services needed)."""

import pytest

from edx_assets.edx.reports import activity, catalog, columns, dictionary
from edx_assets_tests.support import ROOT

# Every warehouse table (its columns as the files have them), and activity_daily's daily file.
TABLES = {**{name: table.columns for name, table in catalog.TABLES.items()},
          "activity_daily": activity.ACTIVITY_COLUMNS}
TYPES = {"string", "integer", "float", "0/1", "datetime", "date", "boolean"}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_report_column_has_a_type_and_a_definition(table):
    described = columns.describe(table, TABLES[table])
    assert [name for name, _, _ in described] == list(TABLES[table])
    for name, kind, text in described:
        assert kind in TYPES, (table, name, kind)
        assert len(text) >= 8, (table, name)


def test_a_column_nobody_described_is_an_error():
    with pytest.raises(KeyError):
        columns.describe("person_course", ["no_such_column"])


@pytest.mark.parametrize("table", sorted({*catalog.TABLES, *catalog.FACTS, *catalog.VIEWS, *catalog.FACT_VIEWS}))
def test_every_warehouse_table_and_view_has_a_definition(table):
    assert len(catalog.definition(table)) >= 20


def test_the_data_dictionary_is_the_catalogs_and_current():
    """Stale when a definition changed and the file was not regenerated (see its first lines)."""
    assert (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8") == dictionary.render()
