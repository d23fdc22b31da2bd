"""GeoIP: country and region (subdivision) of an IP from a MaxMind City database.

The database path is `GEOIP_CITY_DB`. A missing or corrupt file is logged once and every
lookup answers None (the caller then routes to the default branch): never a failed chat.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from functools import lru_cache

import geoip2.database
import geoip2.errors
import maxminddb
from django.conf import settings
from django.http import HttpRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeoLocation:
    country_code: str
    country_name: str
    region_code: str  # ISO 3166-2 subdivision code without the country, e.g. "SVE"
    region_name: str  # in English
    region_name_ru: str

    def describe(self, language: str = "en") -> str:
        name = self.region_name_ru if language == "ru" and self.region_name_ru else self.region_name
        return name or self.country_name or self.country_code


@lru_cache(maxsize=4)
def _reader(path: str) -> geoip2.database.Reader | None:
    try:
        return geoip2.database.Reader(path)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:  # missing or not MMDB
        log.warning(
            "GeoIP database unavailable; routing uses the default branch",
            extra={"path": path, "error": str(exc)},
        )
        return None


def geo_lookup(ip: str | None) -> GeoLocation | None:
    """The location of an IP, or None when unknown or when no database is configured."""
    path = settings.GEOIP_CITY_DB
    if not ip or not path:
        return None
    reader = _reader(str(path))
    if reader is None:
        return None
    try:
        found = reader.city(ip)
    except (geoip2.errors.AddressNotFoundError, ValueError):
        return None
    except Exception as exc:  # a corrupt file can fail on lookup rather than on open
        log.warning("GeoIP lookup failed", extra={"error": str(exc)})
        return None
    subdivision = found.subdivisions.most_specific
    return GeoLocation(
        country_code=found.country.iso_code or "",
        country_name=found.country.names.get("en", ""),
        region_code=subdivision.iso_code or "",
        region_name=subdivision.names.get("en", ""),
        region_name_ru=subdivision.names.get("ru", ""),
    )


def _trusted(ip: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    return any(address in network for network in networks)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's IP. X-Forwarded-For is believed only when the direct peer is one of
    TRUSTED_PROXIES (CIDRs), walking the chain from the right past trusted hops.

    Written out rather than taken from django-ipware: its proxy list checks the hops named
    inside the header, which a client talking to us directly can write itself.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _trusted(peer, networks):
        return peer or None
    chain = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in chain if h]):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer
