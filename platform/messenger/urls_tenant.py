"""URLs of a company's host: the operator panel and its JSON API."""

from django.shortcuts import redirect
from django.urls import include, path

from inboxes.conversations.files_view import attachment_file_view
from inboxes.panel import inbox_views as inbox_pages
from inboxes.panel import routing_views
from inboxes.panel import views as inbox_views
from messenger.api import api
from tenants.accounts import views as account_views
from tenants.companies import views as company_views
from tenants.organization import views as org_views

urlpatterns = [
    path("files/<str:token>/", attachment_file_view, name="attachment-file"),
    path("logos/<slug:slug>/<str:name>", company_views.company_logo_view, name="company-logo"),
    path("", lambda request: redirect("dialogs"), name="home"),
    path("login/", account_views.CompanyLoginView.as_view(), name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("auth/handoff/", account_views.handoff_view, name="handoff"),
    path("auth/staff-access/", include("tenants.console.tenant_urls")),  # staff visiting
    path("language/", account_views.language_set_view, name="set-language"),
    path("dialogs/", inbox_views.dialogs_view, name="dialogs"),
    path("analytics/", inbox_views.analytics_view, name="analytics"),
    path("settings/", lambda request: redirect("branch-list"), name="settings"),
    path("settings/company/", org_views.company_settings_view, name="company-settings"),
    path("settings/onboarding/", org_views.onboarding_view, name="onboarding"),
    path(
        "settings/onboarding/visibility/",
        org_views.onboarding_visibility_view,
        name="onboarding-visibility",
    ),
    path("settings/branches/", org_views.branch_list_view, name="branch-list"),
    path("settings/branches/<int:pk>/", org_views.branch_edit_view, name="branch-edit"),
    path(
        "settings/branches/<int:pk>/default/",
        org_views.branch_make_default_view,
        name="branch-default",
    ),
    path("settings/team/", org_views.team_view, name="team"),
    path("settings/team/invite/", org_views.invite_view, name="team-invite"),
    path("settings/team/add/", org_views.operator_create_view, name="team-add"),
    path("settings/team/<int:pk>/", org_views.operator_edit_view, name="team-edit"),
    path("settings/team/<int:pk>/active/", org_views.operator_active_view, name="team-active"),
    path(
        "settings/invitations/<int:pk>/revoke/",
        org_views.invitation_revoke_view,
        name="invitation-revoke",
    ),
    path("settings/inboxes/", inbox_pages.inbox_list_view, name="inbox-list"),
    path("settings/inboxes/new/", inbox_pages.inbox_create_view, name="inbox-create"),
    path("settings/inboxes/<int:pk>/", inbox_pages.inbox_edit_view, name="inbox-edit"),
    path(
        "settings/inboxes/<int:pk>/install/",
        inbox_pages.inbox_install_status_view,
        name="inbox-install-status",
    ),
    path(
        "settings/inboxes/<int:pk>/archive/", inbox_pages.inbox_archive_view, name="inbox-archive"
    ),
    path(
        "settings/inboxes/<int:pk>/secret/",
        inbox_pages.inbox_secret_rotate_view,
        name="inbox-secret-rotate",
    ),
    path(
        "settings/inboxes/<int:pk>/instructions/",
        inbox_pages.inbox_instructions_send_view,
        name="inbox-instructions",
    ),
    path("settings/routing/", routing_views.routing_view, name="routing"),
    path(
        "settings/routing/rules/<int:pk>/",
        routing_views.routing_rule_action_view,
        name="routing-rule",
    ),
    path("settings/branches/<int:pk>/hours/", routing_views.branch_hours_view, name="branch-hours"),
    path("invite/<str:token>/", org_views.invitation_accept_view, name="invitation-accept"),
    path("api/v1/", api.urls),
    path("billing/", include("billing.urls")),
]
