"""The one check every paid feature uses: does the company's plan include it?

`company_has(company, "analytics")` for code; `@feature_required("analytics")` for panel views
(a 403 page naming the feature and, for admins, the way to the billing page);
`feature_ensure(company, code)` for services and django-ninja endpoints (PermissionDenied, which
the panel API answers as a 403 with the reason in `detail`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import FEATURE_ANALYTICS, FEATURE_API_ACCESS, FEATURE_SUPERVISION
from billing.services import subscription_of
from tenants.companies.models import Company

FEATURE_NAMES = {
    FEATURE_ANALYTICS: gettext_lazy("Analytics"),
    FEATURE_SUPERVISION: gettext_lazy("Supervision"),
    FEATURE_API_ACCESS: gettext_lazy("API access"),
}

View = Callable[..., HttpResponse]


def company_has(company: Company | None, feature: str) -> bool:
    """Whether the company's current plan includes `feature` (a code of billing.models.FEATURES).
    A read-only account keeps its plan's features: only changes wait for payment."""
    if company is None or not company.pk:
        return False
    return subscription_of(company).plan.includes(feature)


class FeatureNotIncluded(PermissionDenied):
    def __init__(self, company: Company, feature: str) -> None:
        self.feature = feature
        self.plan_name = subscription_of(company).plan.name
        super().__init__(
            _(
                "%(feature)s is not included in your plan (%(plan)s). An admin can change the "
                "plan on the Billing page."
            )
            % {"feature": FEATURE_NAMES.get(feature, feature), "plan": self.plan_name}
        )


def feature_ensure(company: Company, feature: str) -> None:
    """Raise FeatureNotIncluded unless the company's plan includes `feature`."""
    if not company_has(company, feature):
        raise FeatureNotIncluded(company, feature)


def feature_required(feature: str) -> Callable[[View], View]:
    """Panel view decorator (under `panel_view`): 403 with the reason when the plan lacks it."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                feature_ensure(request.tenant, feature)  # type: ignore[attr-defined]
            except FeatureNotIncluded as exc:
                return render(
                    request,
                    "billing/feature_required.html",
                    {"reason": str(exc), "feature": FEATURE_NAMES.get(feature, feature)},
                    status=403,
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
