"""App config for the company organisation (branches, team, invitations)."""

from django.apps import AppConfig


class OrganizationConfig(AppConfig):
    name = "tenants.organization"
    label = "organization"
