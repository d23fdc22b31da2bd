"""Console URLs, mounted at /console/ on the base host only."""

from django.urls import include, path

from tenants.console import reports, views

urlpatterns = [
    path("", views.company_list_view, name="console-companies"),
    path("login/", views.ConsoleLoginView.as_view(), name="console-login"),
    path("logout/", views.console_logout_view, name="console-logout"),
    path("companies/<int:pk>/", views.company_detail_view, name="console-company"),
    path("companies/<int:pk>/status/", views.company_suspend_view, name="console-company-status"),
    path("", include("tenants.console.staff_urls")),  # second factor, log in as (staff_urls)
    path("companies/<int:pk>/plan/", views.company_plan_view, name="console-company-plan"),
    path("companies/<int:pk>/trial/", views.company_trial_view, name="console-company-trial"),
    path("companies/<int:pk>/seats/", views.company_seats_view, name="console-company-seats"),
    path("business/", reports.business_view, name="console-business"),
    path("audit/", reports.audit_view, name="console-audit"),
    path("audit/export.csv", reports.audit_export_view, name="console-audit-export"),
]
