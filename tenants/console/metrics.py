"""The console's business page: MRR by month and what moved it (new, expansion, contraction,
churn), trials converting, and companies past due, all derived from billing's history of
subscription changes (billing.models.SubscriptionChange), plus the chart's geometry."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.models import Subscription, SubscriptionChange
from tenants.console.selectors import month_start

Kind = SubscriptionChange.Kind
MOVES = (Kind.NEW, Kind.EXPANSION, Kind.CONTRACTION, Kind.CHURN)
TRIALING = Subscription.Status.TRIALING


@dataclass
class MonthRow:
    month: date
    mrr: int = 0  # at the end of the month, minor units
    moves: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MOVES, 0))

    @property
    def net(self) -> int:
        return sum(self.moves.values())


@dataclass
class TrialRow:
    month: date
    ended: int
    converted: int

    @property
    def rate(self) -> float | None:
        return self.converted / self.ended if self.ended else None


def _months(until: datetime, count: int) -> list[date]:
    first = month_start(until).date()
    months = []
    year, month = first.year, first.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def mrr_by_month(*, months: int = 12, now: datetime | None = None) -> dict[str, list[MonthRow]]:
    """For each currency, the last `months` months: MRR at each month's end and its movement
    by kind. One query: the sums per (currency, month, kind) over the whole history."""
    now = now or timezone.now()
    window = _months(now, months)
    rows = (
        SubscriptionChange.objects.exclude(currency="")
        .annotate(month=TruncMonth("created_at"))
        .values("currency", "month", "kind")
        .annotate(delta=Sum("mrr_after_minor") - Sum("mrr_before_minor"))
        .order_by("currency", "month")
    )
    by_currency: dict[str, dict[date, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        by_currency[row["currency"]][row["month"].date()][row["kind"]] = int(row["delta"] or 0)
    result: dict[str, list[MonthRow]] = {}
    for currency, per_month in sorted(by_currency.items()):
        before = sum(sum(k.values()) for m, k in per_month.items() if m < window[0])
        series: list[MonthRow] = []
        running = before
        for month in window:
            kinds = per_month.get(month, {})
            running += sum(kinds.values())
            point = MonthRow(month=month, mrr=running)
            for kind in MOVES:
                point.moves[kind] = kinds.get(kind, 0)
            series.append(point)
        result[currency] = series
    return result


def trials_by_month(*, months: int = 12, now: datetime | None = None) -> list[TrialRow]:
    """Trials that ended each month (left the trial state) and how many of them became paid."""
    now = now or timezone.now()
    window = _months(now, months)
    rows = (
        SubscriptionChange.objects.filter(status_before=TRIALING, created_at__date__gte=window[0])
        .exclude(status_after=TRIALING)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            ended=Count("pk"),
            converted=Count("pk", filter=Q(status_after=Subscription.Status.ACTIVE)),
        )
    )
    found = {r["month"].date(): r for r in rows}
    return [
        TrialRow(
            month=m,
            ended=found[m]["ended"] if m in found else 0,
            converted=found[m]["converted"] if m in found else 0,
        )
        for m in window
    ]


def past_due_now() -> dict[str, int]:
    rows = (
        Subscription.objects.filter(
            status__in=(Subscription.Status.PAST_DUE, Subscription.Status.READ_ONLY)
        )
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = {r["status"]: r["n"] for r in rows}
    return {
        s: counts.get(s, 0) for s in (Subscription.Status.PAST_DUE, Subscription.Status.READ_ONLY)
    }


CHART_W, CHART_H, CHART_PAD = 1000, 240, 28


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: int


def chart_bars(series: list[MonthRow]) -> list[Bar]:
    """Bars of MRR at each month's end, scaled into the chart (server-rendered SVG)."""
    if not series:
        return []
    top = max(max(r.mrr for r in series), 1)
    slot = (CHART_W - 2 * CHART_PAD) // len(series)
    inner = CHART_H - 2 * CHART_PAD
    bars = []
    for i, row in enumerate(series):
        height = max(0, round(inner * row.mrr / top))
        bars.append(
            Bar(
                x=CHART_PAD + i * slot + slot // 8,
                y=CHART_PAD + inner - height,
                width=max(1, slot * 3 // 4),
                height=height,
                label=row.month.strftime("%m.%y"),
                value=row.mrr,
            )
        )
    return bars
