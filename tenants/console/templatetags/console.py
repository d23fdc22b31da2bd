"""Console template helpers: money in minor units shown in major units, and a sortable column
header that keeps the list's filters."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "") -> str:
    """12345, "usd" → "123.45 USD" (thin spaces between thousands)."""
    value = (minor or 0) / 100
    text = f"{value:,.2f}".replace(",", "\u2009")
    return f"{text} {currency.upper()}".strip()


@register.simple_tag
def sort_header(label: str, key: str, current: str, unsorted: str) -> str:
    """A column title linking to the list sorted by `key` (descending first; again: ascending)."""
    active = current.lstrip("-") == key
    target = key if current == f"-{key}" else f"-{key}"
    arrow = ("↓" if current.startswith("-") else "↑") if active else ""
    query = f"{unsorted}&sort={target}" if unsorted else f"sort={target}"
    return format_html('<a href="?{}">{}</a> {}', query, label, arrow)
