"""The inbox's domain allowlist, checked against a request's Origin (or Referer).

Entries are host names: `example.com` matches only itself; `*.example.com` matches any
subdomain of example.com (not example.com itself, and never `example.com.evil.com`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit


def host_of(url: str) -> str | None:
    """The lower-case host of an absolute http(s) URL, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.rstrip(".").lower()


def domain_allowed(host: str | None, allowed: Iterable[str]) -> bool:
    if not host:
        return False
    for entry in allowed:
        entry = entry.strip().lower().rstrip(".")
        if not entry:
            continue
        if entry.startswith("*."):
            suffix = entry[1:]  # ".example.com"
            if host.endswith(suffix) and len(host) > len(suffix):
                return True
        elif host == entry:
            return True
    return False


def request_site_host(headers: Mapping[str, str]) -> str | None:
    """The website a browser request comes from: Origin, else Referer."""
    origin = headers.get("Origin") or headers.get("origin")
    if origin and origin != "null":
        return host_of(origin)
    referer = headers.get("Referer") or headers.get("referer")
    return host_of(referer) if referer else None


def allowed_domains_validate(entries: Iterable[str]) -> list[str]:
    """Normalise an allowlist typed by an admin; raise ValueError naming a bad entry."""
    import re

    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    pattern = re.compile(rf"^(\*\.)?{label}(\.{label})*$")
    cleaned: list[str] = []
    for raw in entries:
        entry = raw.strip().lower().rstrip(".")
        if not entry:
            continue
        if "://" in entry:
            entry = host_of(entry) or entry
        if not pattern.match(entry):
            raise ValueError(entry)
        if entry not in cleaned:
            cleaned.append(entry)
    return cleaned
