"""URLs of the base host: landing, signup and the superadmin console."""

from django.urls import include, path

from billing import console as billing_console
from billing.views import stripe_webhook_view
from inboxes.conversations.files_view import attachment_file_view
from inboxes.widget_api import cdn as widget_cdn
from inboxes.widget_api import demo_page
from inboxes.widget_api import sse as widget_sse
from inboxes.widget_api.api import api as widget_api
from tenants.accounts import views as account_views
from tenants.companies import views as company_views

urlpatterns = [
    path("files/<str:token>/", attachment_file_view, name="attachment-file"),
    path("logos/<slug:slug>/<str:name>", company_views.company_logo_view, name="company-logo"),
    path("", company_views.landing_view, name="landing"),
    path("signup/", company_views.signup_view, name="signup"),
    path("login/", company_views.login_find_view, name="login-find"),
    path("language/", account_views.language_set_view, name="set-language"),
    path("console/plans/", billing_console.plan_list_view, name="console-plans"),
    path("console/plans/<int:pk>/", billing_console.plan_edit_view, name="console-plan"),
    path("console/", include("tenants.console.urls")),
    path("widget/v1/events", widget_sse.visitor_event_stream, name="widget-events"),
    path("widget/frame/<str:public_key>/", widget_cdn.frame_view, name="widget-frame"),
    path("cdn/<str:name>", widget_cdn.cdn_file_view, name="widget-cdn"),
    path("widget/v1/", widget_api.urls),
    path("demo/", demo_page.demo_page_view, name="demo-page"),
    path("billing/webhooks/stripe/", stripe_webhook_view, name="billing-webhook-stripe"),
]
