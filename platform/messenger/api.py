"""The panel's JSON API (django-ninja, OpenAPI at /api/v1/docs), session-authenticated.

The root that mounts the apps' routers (like a URL conf): the endpoints live in
tenants/organization/api.py and inboxes/panel/api.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import django_auth

from inboxes.panel.api import router as conversations_router
from inboxes.panel.api import status_router as routing_router
from messenger.unavailable import database_unavailable_response
from tenants.organization.api import branches_router, me_router, team_router

api = NinjaAPI(
    title="Messenger panel API", version="1", urls_namespace="panel-api", auth=django_auth
)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
    return database_unavailable_response(request, exc)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied):  # type: ignore[no-untyped-def]
    detail = str(exc) or _("You do not have permission to do this.")
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):  # type: ignore[no-untyped-def]
    return api.create_response(request, {"detail": "Not found"}, status=404)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):  # type: ignore[no-untyped-def]
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


api.add_router("/me", me_router)
api.add_router("/branches", branches_router)
api.add_router("/team", team_router)
api.add_router("/conversations", conversations_router)
api.add_router("/routing", routing_router)
