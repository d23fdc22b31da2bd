"""The console's reports: the business page (MRR and its movement, trials, past due) and the
global audit log of staff actions, with its CSV export (streamed, safe to open in a sheet)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, time
from typing import cast

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from tenants.accounts.permissions import AuthenticatedRequest, staff_view
from tenants.console import metrics, selectors

CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


@staff_view
def business_view(request: AuthenticatedRequest) -> HttpResponse:
    series = metrics.mrr_by_month(months=12)
    charts = [
        {
            "currency": currency,
            "rows": rows,
            "now": rows[-1].mrr if rows else 0,
            "top": max((r.mrr for r in rows), default=0),
            "bars": metrics.chart_bars(rows),
        }
        for currency, rows in series.items()
    ]
    return render(
        request,
        "console/business.html",
        {
            "charts": charts,
            "trials": metrics.trials_by_month(months=12),
            "past_due": metrics.past_due_now(),
            "chart_w": metrics.CHART_W,
            "chart_h": metrics.CHART_H,
            "baseline": metrics.CHART_H - metrics.CHART_PAD,
        },
    )


def _day(value: str, *, end: bool = False) -> datetime | None:
    day = parse_date(value or "") if value else None
    if day is None:
        return None
    if end:
        day = day.fromordinal(day.toordinal() + 1)
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_filters(request: AuthenticatedRequest) -> selectors.AuditFilters:
    params = request.GET
    try:
        since = _day(params.get("since", ""))
        until = _day(params.get("until", ""), end=True)
    except ValueError:
        since = until = None
    return selectors.AuditFilters(
        actor=params.get("actor", ""),
        company=params.get("company", ""),
        action=params.get("action", ""),
        since=since,
        until=until,
    )


@staff_view
def audit_view(request: AuthenticatedRequest) -> HttpResponse:
    records = selectors.audit_search(audit_filters(request))
    page = Paginator(records, 100).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "console/audit.html",
        {
            "page": page,
            "params": request.GET,
            "keep": keep.urlencode(),
            "actions": selectors.audit_actions(),
        },
    )


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ (or tab/CR) gets a quote
    in front, so it is never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_RISKY) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_csv_rows(request: AuthenticatedRequest) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(["time", "staff", "action", "company", "reason", "detail", "ip"])
    records = selectors.audit_search(audit_filters(request))
    for r in records.iterator(chunk_size=500):
        detail = {k: v for k, v in (r.detail or {}).items() if k != "reason"}
        row = [
            r.created_at.isoformat(),
            r.actor_email,
            r.action,
            r.company.slug if r.company else "",
            (r.detail or {}).get("reason", ""),
            detail or "",
            r.ip_address or "",
        ]
        yield writer.writerow([csv_safe(cell) for cell in row])


@staff_view
def audit_export_view(request: AuthenticatedRequest) -> HttpResponse:
    response = StreamingHttpResponse(audit_csv_rows(request), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="console-audit-{stamp}.csv"'
    # staff_view is typed for HttpResponse; a streamed response is served the same way.
    return cast(HttpResponse, response)
