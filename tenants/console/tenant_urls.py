"""Staff access URLs on a company's host (tenants/console/impersonation.py)."""

from django.urls import path

from tenants.console import impersonation_views

urlpatterns = [
    path("", impersonation_views.staff_access_enter_view, name="staff-access-enter"),
    path("end/", impersonation_views.staff_access_end_view, name="staff-access-end"),
]
