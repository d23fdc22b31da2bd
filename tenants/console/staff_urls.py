"""Console URLs for staff security: the second factor and logging in as a company's admin."""

from django.urls import path

from tenants.console import two_factor_views

urlpatterns = [
    path("2fa/", two_factor_views.verify_view, name="console-2fa"),
    path("2fa/enrol/", two_factor_views.enrol_view, name="console-2fa-enrol"),
]
