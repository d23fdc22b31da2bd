"""Read queries of the console: companies with their size and last activity."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tenants.companies.models import Company
from tenants.console.models import ConsoleAuditRecord


def company_search(*, query: str = "", status: str = "") -> QuerySet[Company]:
    companies: QuerySet[Company] = Company.objects.exclude(schema_name="public").select_related(
        "subscription__plan"
    )
    query = (query or "").strip()
    if query:
        companies = companies.filter(
            Q(name__icontains=query) | Q(slug__icontains=query) | Q(owner_email__icontains=query)
        )
    if status in Company.Status.values:
        companies = companies.filter(status=status)
    return companies.order_by("-created_at")


def audit_for_company(*, company: Company, limit: int = 50) -> QuerySet[ConsoleAuditRecord]:
    return ConsoleAuditRecord.objects.filter(company=company)[:limit]
