from datetime import date

import pytest

from edx_assets.edx import layout


def test_event_key_uses_the_year_of_the_files_date_not_today():
    # The old system looked 31 December up in next year's folder.
    assert layout.event_log_key("IDBx", "edx", date(2025, 12, 31)) == (
        "idbx/edx/events/2025/idbx-edx-events-2025-12-31.log.gz.gpg"
    )
    assert layout.event_log_key("idbx", "edge", date(2026, 1, 1)).startswith("idbx/edge/events/2026/")


def test_event_key_round_trip_and_rejects_a_wrong_year_folder():
    key = layout.event_log_key("mitx", "edx", date(2024, 2, 29))
    assert layout.parse_event_log_key(key) == ("mitx", "edx", date(2024, 2, 29))
    assert layout.parse_event_log_key("mitx/edx/events/2025/mitx-edx-events-2024-02-29.log.gz.gpg") is None
    assert layout.parse_event_log_key("mitx/edx/events/2024/other.log.gz.gpg") is None


def test_package_key_is_at_the_bucket_root():
    assert layout.course_package_key("IDBx", date(2026, 10, 11)) == "idbx-2026-10-11.zip"
    assert layout.parse_course_package_key("idbx-2026-10-11.zip") == ("idbx", date(2026, 10, 11))
    assert layout.parse_course_package_key("idbx-2026-13-11.zip") is None


@pytest.mark.parametrize(
    ("value", "v1", "legacy"),
    [
        ("course-v1:MITx+6.00x+1T2015", "course-v1:MITx+6.00x+1T2015", "MITx/6.00x/1T2015"),
        ("edX/DemoX.1/2015", "course-v1:edX+DemoX.1+2015", "edX/DemoX.1/2015"),
        ("course-v1:IDBx+Niñez1x+1T2026", "course-v1:IDBx+Niñez1x+1T2026", "IDBx/Niñez1x/1T2026"),
    ],
)
def test_course_ids_in_both_forms(value, v1, legacy):
    cid = layout.parse_course_id(value)
    assert cid is not None
    assert (cid.v1, cid.legacy) == (v1, legacy)


@pytest.mark.parametrize("value", ["", None, "not a course", "a/b", "course-v1:a+b"])
def test_not_course_ids(value):
    assert layout.parse_course_id(value) is None


def test_course_id_from_urls_paths_and_implicit_event_types():
    assert layout.course_id_from_url(
        "https://courses.edx.org/courses/course-v1:IDBx+IDB4.1x+2015_T4/courseware/abc/"
    ).v1 == "course-v1:IDBx+IDB4.1x+2015_T4"
    assert layout.course_id_from_url(
        "/courses/Education/EDUC115N/How_to_Learn_Math/modx/i4x://Education/EDUC115N/combinedopenended/0d6/save"
    ).legacy == "Education/EDUC115N/How_to_Learn_Math"
    assert layout.course_id_from_url("/dashboard") is None


def test_file_prefix_replaces_non_ascii():
    assert layout.CourseId("IDBx", "Niñez1x", "1T2026").file_prefix == "IDBx-Ni_ez1x-1T2026"


def test_collection_prefix_follows_the_old_rule():
    # The example of the seed system's documentation.
    assert layout.collection_prefix("IDBx-IDB4.1x-2015_T4") == "idb4_1x_2015_t4"
    assert layout.collection_prefix("IDBx-IDB4.1x-2015_T4", org="idbx") == "idb4_1x_2015_t4"
    # Only the first '-' and the first '.' are replaced.
    assert layout.collection_prefix("MITx-6.00.1x-2T2016") == "6_00.1x_2t2016"


@pytest.mark.parametrize(
    ("name", "prefix", "table", "kind"),
    [
        ("IDBx-IDB4.1x-2015_T4-auth_user-prod-analytics.sql", "IDBx-IDB4.1x-2015_T4", "auth_user", "table"),
        ("IDBx-IDB4.1x-2015_T4-auth_userprofile-prod-analytics.sql", "IDBx-IDB4.1x-2015_T4",
         "auth_userprofile", "table"),
        ("edX-DemoX-Demo_Course-courseware_studentmodule-acceptance.sql", "edX-DemoX-Demo_Course",
         "courseware_studentmodule", "table"),
        ("edX-DemoX-Demo_Course-course_structure-acceptance.json", "edX-DemoX-Demo_Course",
         "course_structure", "structure"),
        ("edX-DemoX-Demo_Course-acceptance.mongo", "edX-DemoX-Demo_Course", "forum", "forum"),
        ("MITx-6.00x-1T2015-prod.mongo", "MITx-6.00x-1T2015", "forum", "forum"),
        ("MITx-6.00x-1T2015-edge.mongo", "MITx-6.00x-1T2015", "forum", "forum"),
        ("MITx-6.00x-1T2015-wiki_article-prod-edge-analytics.sql", "MITx-6.00x-1T2015", "wiki_article", "table"),
        ("MITx-6.00x-1T2015-course-prod-analytics.xml.tar.gz", "MITx-6.00x-1T2015", "course", "course_xml"),
    ],
)
def test_package_file_names(name, prefix, table, kind):
    parsed = layout.parse_package_file(name)
    assert parsed is not None
    assert (parsed.file_prefix, parsed.table, parsed.kind) == (prefix, table, kind)


@pytest.mark.parametrize("name", ["README.txt", "load_student_courseenrollment.sql", "x.zip"])
def test_names_that_are_not_package_files(name):
    assert layout.parse_package_file(name) is None
