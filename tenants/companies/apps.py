"""App config for companies."""

from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "tenants.companies"
    label = "companies"
