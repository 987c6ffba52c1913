"""edX TSV dumps: escapes, NULL, typing, ragged rows, raw line breaks, headers."""

from datetime import UTC, datetime

import pytest

from edx_assets.edx import sql_dump


def _file(tmp_path, text: str, name: str = "t.sql"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_escapes_null_and_types(tmp_path):
    path = _file(tmp_path, "id\tusername\tis_staff\tlast_login\tdate_joined\tstatus\n"
                           "7\tana\\tb\t1\tNULL\t2014-01-07 20:18:54\tC:\\\\temp\\nnext\\rx\n")
    [(line, row)] = list(sql_dump.iter_rows(path, "auth_user"))
    assert line == 2
    assert row == {"id": 7, "username": "ana\tb", "is_staff": 1, "last_login": None,
                   "date_joined": datetime(2014, 1, 7, 20, 18, 54, tzinfo=UTC), "status": "C:\\temp\nnext\rx"}


def test_microseconds_empty_numbers_and_grades(tmp_path):
    path = _file(tmp_path, "id\tuser_id\tgrade\tcreated_date\tdistinction\n"
                           "1\t2\t0.87\t2015-08-12 23:13:03.123456\t0\n2\t3\t\t\t1\n")
    rows = [row for _, row in sql_dump.iter_rows(path, "certificates_generatedcertificate")]
    assert rows[0]["grade"] == 0.87
    assert rows[0]["created_date"] == datetime(2015, 8, 12, 23, 13, 3, 123456, tzinfo=UTC)
    assert rows[1]["grade"] is None and rows[1]["created_date"] is None and rows[1]["distinction"] == 1


def test_values_that_do_not_fit_their_type_are_kept_as_text_and_counted(tmp_path):
    path = _file(tmp_path, "id\tuser_id\tyear_of_birth\n1\t2\tnineteen80\n")
    stats = sql_dump.ReadStats()
    [(_, row)] = list(sql_dump.iter_rows(path, "auth_userprofile", stats))
    assert row["year_of_birth"] == "nineteen80"
    assert stats.untyped_values == {"year_of_birth": 1}


def test_unknown_escape_sequences_are_kept(tmp_path):
    path = _file(tmp_path, "id\tstate\n1\t{\\\"a\\\": \\x}\n")
    [(_, row)] = list(sql_dump.iter_rows(path, "courseware_studentmodule"))
    assert row["state"] == '{\\"a\\": \\x}'


def test_header_only_file_has_no_rows(tmp_path):
    assert list(sql_dump.iter_rows(_file(tmp_path, "id\tuser_id\tcourse_id\n"), "student_courseenrollment")) == []


def test_raw_line_break_inside_a_value_is_rejoined(tmp_path):
    path = _file(tmp_path, "id\tuser_id\tgoals\tcountry\n1\t1\tfirst line\nsecond line\tCO\n2\t2\tx\tPE\n")
    stats = sql_dump.ReadStats()
    rows = list(sql_dump.iter_rows(path, "auth_userprofile", stats))
    assert [r["goals"] for _, r in rows] == ["first line\nsecond line", "x"]
    assert [line for line, _ in rows] == [2, 4]
    assert stats.rejoined_lines == 1 and stats.rows == 2


def test_ragged_row_names_file_and_line(tmp_path):
    path = _file(tmp_path, "id\tuser_id\tcourse_id\n1\t1\tc\n2\t2\tc\textra\n", "x-student_courseenrollment.sql")
    with pytest.raises(sql_dump.RaggedRowError, match=r"x-student_courseenrollment\.sql, line 3: 4 fields"):
        list(sql_dump.iter_rows(path, "student_courseenrollment"))


def test_file_ending_inside_a_row(tmp_path):
    path = _file(tmp_path, "id\tuser_id\tcourse_id\n1\t1\n")
    with pytest.raises(sql_dump.RaggedRowError, match=r"line 2.*ends inside this row"):
        list(sql_dump.iter_rows(path, "student_courseenrollment"))


def test_wrong_or_missing_header(tmp_path):
    with pytest.raises(sql_dump.HeaderError, match="empty"):
        list(sql_dump.iter_rows(_file(tmp_path, ""), "auth_user"))
    with pytest.raises(sql_dump.HeaderError, match="lacks column"):
        list(sql_dump.iter_rows(_file(tmp_path, "a\tb\n1\t2\n"), "auth_user", expected_columns=["id", "username"]))
    with pytest.raises(sql_dump.HeaderError, match="repeated"):
        list(sql_dump.iter_rows(_file(tmp_path, "id\tid\n1\t2\n"), "auth_user"))


def test_crlf_line_endings_and_non_utf8(tmp_path):
    path = tmp_path / "t.sql"
    path.write_bytes(b"id\tusername\r\n1\tjos\xe9\r\n")
    stats = sql_dump.ReadStats()
    [(_, row)] = list(sql_dump.iter_rows(path, "auth_user", stats))
    assert row == {"id": 1, "username": "jos\ufffd"}
    assert stats.invalid_utf8_lines == 1
