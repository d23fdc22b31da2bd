"""Console URLs for staff security: the second factor and logging in as a company's admin."""

from django.urls import path

from tenants.console import impersonation_views, two_factor_views

urlpatterns = [
    path("2fa/", two_factor_views.verify_view, name="console-2fa"),
    path("2fa/enrol/", two_factor_views.enrol_view, name="console-2fa-enrol"),
    path(
        "companies/<int:pk>/access/",
        impersonation_views.staff_access_start_view,
        name="console-staff-access",
    ),
]
