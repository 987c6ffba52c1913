"""Country (ISO 3166-1 alpha-2) -> continent and UN M49 region (sub-region), for the geography table.

The UN Statistics Division's M49 standard ("Standard country or area codes for statistical use") groups
countries into regions and sub-regions; edx2bigquery's geographic distributions report continent and UN
region beside the country. No maintained library ships this table without pulling in pandas, so it is kept
here: one line per M49 sub-region. Continents follow the usual seven (the Americas split into North America
-- Northern America, Central America and the Caribbean -- and South America). Kosovo (XK, a user-assigned code
IP databases use) is placed in Southern Europe, Taiwan in Eastern Asia.
"""

from __future__ import annotations

# sub-region: (continent, countries)
_M49: dict[str, tuple[str, str]] = {
    "Northern Africa": ("Africa", "DZ EG LY MA SD TN EH"),
    "Eastern Africa": ("Africa", "IO BI KM DJ ER ET TF KE MG MW MU YT MZ RE RW SC SO SS UG TZ ZM ZW"),
    "Middle Africa": ("Africa", "AO CM CF TD CG CD GQ GA ST"),
    "Southern Africa": ("Africa", "BW SZ LS NA ZA"),
    "Western Africa": ("Africa", "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG"),
    "Caribbean": ("North America", "AI AG AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL KN LC MF VC SX TT TC VI"),
    "Central America": ("North America", "BZ CR SV GT HN MX NI PA"),
    "South America": ("South America", "AR BO BV BR CL CO EC FK GF GY PY PE GS SR UY VE"),
    "Northern America": ("North America", "BM CA GL PM US"),
    "Central Asia": ("Asia", "KZ KG TJ TM UZ"),
    "Eastern Asia": ("Asia", "CN HK MO KP JP MN KR TW"),
    "South-eastern Asia": ("Asia", "BN KH ID LA MY MM PH SG TH TL VN"),
    "Southern Asia": ("Asia", "AF BD BT IN IR MV NP PK LK"),
    "Western Asia": ("Asia", "AM AZ BH CY GE IQ IL JO KW LB OM QA SA PS SY TR AE YE"),
    "Eastern Europe": ("Europe", "BY BG CZ HU PL MD RO RU SK UA"),
    "Northern Europe": ("Europe", "AX DK EE FO FI GG IS IE IM JE LV LT NO SJ SE GB"),
    "Southern Europe": ("Europe", "AL AD BA HR GI GR VA IT MT ME MK PT SM RS SI ES XK"),
    "Western Europe": ("Europe", "AT BE FR DE LI LU MC NL CH"),
    "Australia and New Zealand": ("Oceania", "AU CX CC HM NZ NF"),
    "Melanesia": ("Oceania", "FJ NC PG SB VU"),
    "Micronesia": ("Oceania", "GU KI MH FM NR MP PW UM"),
    "Polynesia": ("Oceania", "AS CK PF NU PN WS TK TO TV WF"),
    "Antarctica": ("Antarctica", "AQ"),
}
REGION: dict[str, tuple[str, str]] = {
    code: (continent, region) for region, (continent, codes) in _M49.items() for code in codes.split()}


def continent(country: str | None) -> str | None:
    return REGION.get((country or "").upper(), (None, None))[0]


def un_region(country: str | None) -> str | None:
    return REGION.get((country or "").upper(), (None, None))[1]
