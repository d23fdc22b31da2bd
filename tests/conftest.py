"""Shared fixtures: two companies with identical data, made once per run, and host clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import FEATURES, Plan, Subscription
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.companies.services import company_signup
from tenants.organization.models import Invitation
from tenants.organization.services import branch_create, operator_create
from tests.factories import PASSWORD

ADMIN_EMAIL = "admin@{slug}.example.com"
OPERATOR_EMAIL = "op@example.com"


@dataclass
class TenantWorld:
    company: Company
    admin_email: str

    @property
    def host(self) -> str:
        return self.company.primary_host

    def client(self) -> Client:
        return Client(HTTP_HOST=self.host)

    def login(self, email: str | None = None) -> Client:
        """A client on this company's host, logged in as `email` (the admin by default)."""
        client = self.client()
        with schema_context(self.company.schema_name):
            client.force_login(User.objects.get(email=email or self.admin_email))
        return client


def _roomy_plan() -> Plan:
    """The fixture companies' plan: every feature and no seat or inbox limit, so tests that add
    many people or inboxes never meet one (tests/billing sets the limits it checks)."""
    plan, _ = Plan.objects.get_or_create(
        code="fixture",
        defaults={"name": "Fixture", "is_public": False, "features": list(FEATURES)},
    )
    return plan


def _make_company(slug: str) -> TenantWorld:
    admin_email = ADMIN_EMAIL.format(slug=slug)
    result = company_signup(
        name=slug.title(),
        slug=slug,
        admin_name="Admin " + slug.title(),
        email=admin_email,
        password=PASSWORD,
        language="en",
        timezone_name="Europe/Moscow",
    )
    Subscription.objects.filter(company=result.company).update(plan=_roomy_plan(), seats=10_000)
    with schema_context(result.company.schema_name):
        north = branch_create(name="North", region="Murmansk Oblast", timezone_name="Europe/Moscow")
        branch_create(name="South", region="Krasnodar Krai", timezone_name="Europe/Moscow")
        operator_create(
            email=OPERATOR_EMAIL,
            full_name="Olga Operator",
            password=PASSWORD,
            role=User.Role.OPERATOR,
            branch_ids=[north.pk],
        )
        Invitation.objects.create(
            email="invited@example.com",
            role=User.Role.OPERATOR,
            token_hash=f"fixture-{slug}",
            expires_at=timezone.now() + timedelta(days=3650),
        )
    return TenantWorld(company=result.company, admin_email=admin_email)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,  # type: ignore[no-untyped-def]
    django_db_keepdb,
    django_db_modify_db_settings,
):
    """Always create the test database: `live_db` tests carry no django_db mark, and
    pytest-django would otherwise skip the set-up when only they are selected."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=django_db_keepdb,
            aliases={"default"},
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            # worker threads of socket tests may still hold connections; end them first
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session")
def worlds(django_db_setup: None, django_db_blocker) -> dict[str, TenantWorld]:  # type: ignore[no-untyped-def]
    """Companies with identical branches and people (committed): `acme` and `globex` for tests
    in a rolled-back transaction, `initech` and `umbrella` for `live_db` tests."""
    with django_db_blocker.unblock():
        made = {slug: _make_company(slug) for slug in ("acme", "globex", "initech", "umbrella")}
        connection.set_schema_to_public()
    return made


@pytest.fixture
def acme(worlds: dict[str, TenantWorld], db: None) -> TenantWorld:
    worlds["acme"].company.refresh_from_db()
    return worlds["acme"]


@pytest.fixture
def globex(worlds: dict[str, TenantWorld], db: None) -> TenantWorld:
    worlds["globex"].company.refresh_from_db()
    return worlds["globex"]


@pytest.fixture
def live_db(worlds: dict[str, TenantWorld], django_db_blocker) -> Iterator[dict[str, TenantWorld]]:  # type: ignore[no-untyped-def]
    """Committed data for tests whose work runs on other threads or processes (sockets,
    concurrency). Use the `initech` and `umbrella` companies: nothing is rolled back."""
    with django_db_blocker.unblock():
        yield worlds
        connection.set_schema_to_public()


@pytest.fixture
def staff(db: None) -> User:
    """A platform staff account in the public schema."""
    connection.set_schema_to_public()
    return User.objects.create_superuser("staff@platform.test", PASSWORD, full_name="Staff")


@pytest.fixture
def base_client() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture(autouse=True)
def _rate_limit_counters_per_test(settings) -> None:  # type: ignore[no-untyped-def]
    """Each test counts rate limits under a cache prefix of its own: limits stay on, and one
    test's attempts never spend another's budget (nor the next run's)."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl-{uuid.uuid4().hex}:"


@pytest.fixture(autouse=True)
def _public_schema_after_each_test() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


def pending_invitations() -> list[Invitation]:
    return [i for i in Invitation.objects.all() if i.is_pending]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """End-to-end tests run last: sync Playwright keeps an event loop running in the main
    thread for the session, and Django refuses ORM calls from a thread with a running loop."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
