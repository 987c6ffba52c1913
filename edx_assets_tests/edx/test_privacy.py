"""EDX_STORE_PII's rules on single events, rows and quarantined lines (expected values from the standard
library: hmac for pseudonyms, hand-written networks)."""

import csv

import pytest

from edx_assets.config import ConfigError, EdxConfig
from edx_assets.edx.geo import Location
from edx_assets.edx.privacy import StorePolicy, agent_class, network
from edx_assets_tests.support import expected_pseudonym

KEY = "k-3b9e"



def _event() -> dict:
    return {"username": "ana_p", "ip": "181.49.200.17", "agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)",
            "event_source": "browser", "context": {"user_id": 7, "username": "ana_p"},
            "event": '{"username": "ana_p", "mode": "audit"}'}


def test_pseudonymize_keeps_joins_and_the_place_but_not_the_identity():
    store = StorePolicy("pseudonymize", KEY)
    doc, derived = _event(), {"user_id": 7, "event": {"username": "ana_p", "mode": "audit"}}
    looked_up = []
    store.event(doc, derived, lambda ip: looked_up.append(ip) or Location("CO", "Colombia", "Bogotá"))
    assert looked_up == ["181.49.200.17"]  # the place comes from the whole address
    assert doc["username"] == doc["context"]["username"] == derived["event"]["username"] == expected_pseudonym(KEY, "ana_p")
    assert "ana_p" not in doc["event"] and expected_pseudonym(KEY, "ana_p") in doc["event"]
    assert doc["ip"] == "181.49.200.0"
    assert (derived["ip_country_code"], derived["ip_country"], derived["ip_city"]) == ("CO", "Colombia", "Bogotá")
    assert doc["agent"].startswith("Mozilla")  # kept under pseudonymize


def test_minimize_keeps_only_the_agent_class():
    store = StorePolicy("minimize", KEY)
    doc, derived = _event(), {"user_id": 7}
    store.event(doc, derived, lambda ip: None)
    assert doc["agent"] == "mobile_browser" and derived["ip_country_code"] is None
    assert agent_class("edX/org.edx.mobile (4.2.0; OS Version 13)", "mobile") == "mobile_app"
    assert agent_class("Mozilla/5.0 (X11; Linux x86_64)", "browser") == "desktop"
    assert agent_class("", "server") is None


def test_networks_of_ipv4_and_ipv6_addresses():
    assert network("200.3.154.250") == "200.3.154.0"
    assert network("2801:1a0:3c:7::51") == "2801:1a0:3c::"
    assert network("not an address") == ""


def test_retired_usernames_stay_as_edx_wrote_them():
    store = StorePolicy("pseudonymize", KEY)
    row = store.row("auth_user", {"id": 3, "username": "retired__user_9f2c", "email": "x@retired.invalid",
                                  "first_name": "A", "last_name": "B", "is_staff": False})
    assert row == {"id": 3, "username": "retired__user_9f2c", "is_staff": False}


def test_course_rows_lose_names_emails_addresses_and_under_minimize_free_text():
    profile = {"user_id": 4, "name": "Ana Pérez", "mailing_address": "Cra 7 # 40", "goals": "aprender",
               "bio": "x", "location": "Bogotá", "city": "Bogotá", "meta": "{}", "gender": "f", "year_of_birth": 1990}
    kept = StorePolicy("pseudonymize", KEY).row("auth_userprofile", dict(profile))
    assert "name" not in kept and "mailing_address" not in kept and kept["goals"] == "aprender"
    minimal = StorePolicy("minimize", KEY).row("auth_userprofile", dict(profile))
    assert minimal == {"user_id": 4, "gender": "f", "year_of_birth": 1990}
    assert StorePolicy("pseudonymize", KEY).row("user_id_map", {"user_id": 4, "username": "ana_p"})["username"] \
        == expected_pseudonym(KEY, "ana_p")
    assert StorePolicy().row("auth_userprofile", dict(profile)) == profile  # keep: as delivered
    assert StorePolicy("pseudonymize", KEY).forum({"author_username": "ana_p"}) == {"author_username": expected_pseudonym(KEY, "ana_p")}


def test_a_quarantined_lines_text_keeps_no_identity():
    store = StorePolicy("pseudonymize", KEY)
    raw = '{"username":"ana_p","ip":"181.49.200.17","email":"ana@example.org","author_username": "luis'
    text = store.text(raw)
    assert "ana_p" not in text and expected_pseudonym(KEY, "ana_p") in text and expected_pseudonym(KEY, "luis") in text
    assert "181.49.200.0" in text and "181.49.200.17" not in text and "ana@example.org" not in text
    assert StorePolicy().text(raw) == raw
    assert store.text('{"ip": "2801:1a0:3c:7::51", "x"') == '{"ip": "2801:1a0:3c::", "x"'
    assert KEY not in repr(store)


def test_load_ids_change_with_mode_and_key_but_never_show_the_key():
    tags = {StorePolicy().tag, StorePolicy("pseudonymize", KEY).tag, StorePolicy("minimize", KEY).tag,
            StorePolicy("pseudonymize", "other").tag}
    assert len(tags) == 4 and "" in tags and not any(KEY in t for t in tags)


def test_store_modes_are_validated_and_need_the_pseudonym_key():
    with pytest.raises(ConfigError, match="EDX_STORE_PII must be one of"):
        EdxConfig.from_env({"EDX_STORE_PII": "hide"})
    with pytest.raises(ConfigError, match="EDX_REPORTS_PSEUDONYM_KEY"):
        EdxConfig.from_env({"EDX_STORE_PII": "pseudonymize"})
    assert EdxConfig.from_env({"EDX_STORE_PII": "Minimize", "EDX_REPORTS_PSEUDONYM_KEY": KEY}).store_pii == "minimize"


def test_reports_are_not_pseudonymized_twice_where_mongodb_already_holds_pseudonyms():
    from edx_assets.edx.reports.pii import PiiPolicy

    assert PiiPolicy.for_reports("pseudonymize", KEY, "keep") == PiiPolicy("pseudonymize", KEY)
    for stored in ("pseudonymize", "minimize"):
        assert PiiPolicy.for_reports("pseudonymize", KEY, stored) == PiiPolicy("include")
    assert PiiPolicy.for_reports("drop", None, "pseudonymize") == PiiPolicy("drop")


def test_only_a_small_cell_suppressed_copy_of_an_aggregate_leaves(tmp_path):
    from edx_assets.edx.reports import publish

    aggregate = tmp_path / "retention_by_cohort.csv"
    aggregate.write_text("course_id,cohort,learners,active_learners,share_active\nc1,a,3,1,0.33\nc1,b,12,6,0.5\n")
    learners = tmp_path / "learners_master_2026-10-11.csv"
    learners.write_text("user_id\n1\n")
    with publish.leaving_copy(aggregate, 5) as sent:
        rows = list(csv.DictReader(sent.open()))
        assert (rows[0]["learners"], rows[0]["active_learners"], rows[0]["share_active"]) == ("", "", "")
        assert rows[1]["learners"] == "12" and rows[0]["suppressed"]
        aside = sent.parent
    assert not aside.exists() and aggregate.read_text().endswith("c1,b,12,6,0.5\n")  # the local file stays whole
    with publish.leaving_copy(learners, 5) as sent:
        assert sent == learners
    assert publish.object_key("/reports/", "2026-10-11", "x.html", "dashboards") == "reports/2026-10-11/dashboards/x.html"
    assert publish.content_type(aggregate).startswith("text/csv")
