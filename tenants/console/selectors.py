"""Read queries of the console: the companies list with its business columns (plan, state,
seats, MRR, trial end, last activity, conversations this month), sorted and filtered in SQL
in a constant number of queries, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.changes import BILLED_STATUSES
from billing.models import PlanPrice, Subscription
from tenants.companies.models import Company
from tenants.console.models import CompanyMonthUsage, ConsoleAuditRecord

# The state staff see: the company's suspension first, then its subscription.
STATES = ("trial", "active", "past_due", "read_only", "canceled", "suspended")
SORTS = {
    "name": "name",
    "plan": "plan_name",
    "state": "state",
    "seats": "user_count",
    "paid": "seats_paid",
    "mrr": "mrr_minor",
    "trial": "subscription__trial_ends_at",
    "activity": "last_activity_at",
    "conversations": "conversations_month",
    "created": "created_at",
}
DEFAULT_SORT = "-created"


def month_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def companies_annotated(now: datetime | None = None) -> QuerySet[Company]:
    """Every company with `state`, `plan_name`, `seats_paid`, `mrr_minor`, `currency` and
    `conversations_month` computed in the same query."""
    S = Subscription.Status
    billed = Q(subscription__status__in=BILLED_STATUSES, subscription__price__isnull=False)
    per_month = F("subscription__price__amount_minor") * F("subscription__seats")
    usage = CompanyMonthUsage.objects.filter(
        company=OuterRef("pk"), month=month_start(now).date()
    ).values("conversations")[:1]
    companies: QuerySet[Company] = (
        Company.objects.exclude(schema_name="public")
        .select_related("subscription__plan", "subscription__price")
        .annotate(
            state=Case(
                When(status=Company.Status.SUSPENDED, then=Value("suspended")),
                When(subscription__status=S.ACTIVE, then=Value("active")),
                When(subscription__status=S.PAST_DUE, then=Value("past_due")),
                When(subscription__status=S.READ_ONLY, then=Value("read_only")),
                When(subscription__status=S.CANCELED, then=Value("canceled")),
                default=Value("trial"),
                output_field=CharField(),
            ),
            plan_name=Coalesce("subscription__plan__name", Value("")),
            seats_paid=Coalesce(F("subscription__seats") + F("subscription__free_seats"), Value(0)),
            mrr_minor=Case(
                When(
                    billed & Q(subscription__price__interval=PlanPrice.Interval.YEAR),
                    then=(per_month + Value(6)) / Value(12),
                ),
                When(billed, then=per_month),
                default=Value(0),
                output_field=IntegerField(),
            ),
            currency=Case(
                When(billed, then=F("subscription__price__currency")),
                default=Value(""),
                output_field=CharField(),
            ),
            conversations_month=Coalesce(Subquery(usage), Value(0)),
        )
    )
    return companies


@dataclass(frozen=True)
class CompanyFilters:
    query: str = ""
    state: str = ""
    plan: str = ""  # plan code
    currency: str = ""
    seats_full: bool = False
    mrr_min: int = 0  # major units
    trial_ends_within: int | None = None  # days
    inactive_days: int | None = None
    conversations_min: int = 0


def company_search(
    filters: CompanyFilters | None = None, *, sort: str = DEFAULT_SORT
) -> QuerySet[Company]:
    f = filters or CompanyFilters()
    now = timezone.now()
    companies = companies_annotated(now)
    query = f.query.strip()
    if query:
        companies = companies.filter(
            Q(name__icontains=query) | Q(slug__icontains=query) | Q(owner_email__icontains=query)
        )
    if f.state in STATES:
        companies = companies.filter(state=f.state)
    if f.plan:
        companies = companies.filter(subscription__plan__code=f.plan)
    if f.currency:
        companies = companies.filter(currency=f.currency)
    if f.seats_full:
        companies = companies.filter(user_count__gte=F("seats_paid"))
    if f.mrr_min:
        companies = companies.filter(mrr_minor__gte=f.mrr_min * 100)
    if f.trial_ends_within is not None:
        companies = companies.filter(
            state="trial", subscription__trial_ends_at__lte=now + timedelta(f.trial_ends_within)
        )
    if f.inactive_days is not None:
        cutoff = now - timedelta(days=f.inactive_days)
        companies = companies.filter(Q(last_activity_at__lt=cutoff) | Q(last_activity_at=None))
    if f.conversations_min:
        companies = companies.filter(conversations_month__gte=f.conversations_min)
    return companies.order_by(*sort_fields(sort))


def sort_fields(sort: str) -> list[OrderBy | str]:
    key = (sort or "").lstrip("-")
    if key not in SORTS:
        return sort_fields(DEFAULT_SORT)
    field = F(SORTS[key])
    ordered = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    return [ordered, "-pk"]


def mrr_totals(companies: QuerySet[Company]) -> dict[str, int]:
    """MRR in minor units per currency over the given (filtered) companies, one query."""
    rows = (
        companies.order_by()
        .exclude(currency="")
        .values("currency")
        .annotate(total=Sum("mrr_minor"))
        .values_list("currency", "total")
    )
    return {currency: int(total or 0) for currency, total in rows}


def audit_for_company(*, company: Company, limit: int = 50) -> QuerySet[ConsoleAuditRecord]:
    return ConsoleAuditRecord.objects.filter(company=company).select_related("company")[:limit]


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # an email, or part of one
    company: str = ""  # a company's id, subdomain or part of its name
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None


def audit_search(f: AuditFilters) -> QuerySet[ConsoleAuditRecord]:
    records = ConsoleAuditRecord.objects.select_related("company").order_by("-created_at", "-pk")
    if f.actor.strip():
        records = records.filter(actor_email__icontains=f.actor.strip())
    company = f.company.strip()
    if company.isdigit():
        records = records.filter(company_id=int(company))
    elif company:
        records = records.filter(
            Q(company__slug__icontains=company) | Q(company__name__icontains=company)
        )
    if f.action.strip():
        records = records.filter(action=f.action.strip())
    if f.since:
        records = records.filter(created_at__gte=f.since)
    if f.until:
        records = records.filter(created_at__lt=f.until)
    return records


def audit_actions() -> list[str]:
    return list(
        ConsoleAuditRecord.objects.order_by("action").values_list("action", flat=True).distinct()
    )
