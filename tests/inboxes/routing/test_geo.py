"""GeoIP with real MaxMind-format databases built by mmdb-writer; no network."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.test import RequestFactory
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from messenger import geo

SVERDLOVSK = {
    "country": {"iso_code": "RU", "names": {"en": "Russia", "ru": "Россия"}},
    "subdivisions": [
        {"iso_code": "SVE", "names": {"en": "Sverdlovsk Oblast", "ru": "Свердловская область"}}
    ],
}
MOSCOW = {
    "country": {"iso_code": "RU", "names": {"en": "Russia", "ru": "Россия"}},
    "subdivisions": [{"iso_code": "MOW", "names": {"en": "Moscow", "ru": "Москва"}}],
}
GERMANY = {"country": {"iso_code": "DE", "names": {"en": "Germany", "ru": "Германия"}}}


def build_city_db(path: Path) -> Path:
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="GeoIP2-City",
        languages=["en", "ru"],
        description="test city db",
    )
    writer.insert_network(IPSet(["5.3.0.0/16"]), SVERDLOVSK)
    writer.insert_network(IPSet(["77.88.0.0/18"]), MOSCOW)
    writer.insert_network(IPSet(["85.214.0.0/15"]), GERMANY)
    writer.to_db_file(str(path))
    return path


@pytest.fixture
def city_db(tmp_path, settings) -> Path:  # type: ignore[no-untyped-def]
    path = build_city_db(tmp_path / "city.mmdb")
    settings.GEOIP_CITY_DB = str(path)
    geo._reader.cache_clear()
    yield path
    geo._reader.cache_clear()


def test_lookup_gives_country_and_region_in_english_and_russian(city_db):
    found = geo.geo_lookup("5.3.10.20")
    assert (found.country_code, found.region_code) == ("RU", "SVE")
    assert found.describe("en") == "Sverdlovsk Oblast"
    assert found.describe("ru") == "Свердловская область"


def test_a_country_without_region_and_an_unknown_ip(city_db):
    germany = geo.geo_lookup("85.214.1.1")
    assert (germany.country_code, germany.region_code) == ("DE", "")
    assert geo.geo_lookup("203.0.113.5") is None
    assert geo.geo_lookup("not-an-ip") is None


def test_missing_database_means_no_location_and_a_warning(settings, tmp_path, caplog):
    settings.GEOIP_CITY_DB = str(tmp_path / "absent.mmdb")
    geo._reader.cache_clear()
    with caplog.at_level(logging.WARNING, logger="messenger.geo"):
        assert geo.geo_lookup("5.3.10.20") is None
    assert "GeoIP database unavailable" in caplog.text
    geo._reader.cache_clear()


def test_corrupt_database_means_no_location_and_a_warning(settings, tmp_path, caplog):
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"\x00garbage" * 100)
    settings.GEOIP_CITY_DB = str(broken)
    geo._reader.cache_clear()
    with caplog.at_level(logging.WARNING, logger="messenger.geo"):
        assert geo.geo_lookup("5.3.10.20") is None
    assert "GeoIP" in caplog.text
    geo._reader.cache_clear()


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings):
    factory = RequestFactory()
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    via_proxy = factory.get(
        "/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.1.1.1, 5.3.10.20, 10.9.9.9"
    )
    assert geo.client_ip(via_proxy) == "5.3.10.20"  # right-most hop that is not a proxy
    direct = factory.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="5.3.10.20")
    assert geo.client_ip(direct) == "198.51.100.7"
    settings.TRUSTED_PROXIES = []
    assert geo.client_ip(via_proxy) == "10.1.2.3"
