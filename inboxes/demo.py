"""The demo company for development: `demo`, two branches, an admin, three operators, one inbox."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_tenants.utils import schema_context

from billing.models import Plan
from billing.services import subscription_of, subscription_set_paid
from inboxes.models import Inbox
from inboxes.services import inbox_create
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.companies.services import company_signup
from tenants.organization.models import Branch
from tenants.organization.services import branch_create, operator_create

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-chat-2026"
STAFF_EMAIL = "staff@messenger.local"
STAFF_PASSWORD = "staff-console-2026"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


DEMO_PEOPLE = [
    ("Ольга Смирнова", "olga@demo.local", User.Role.OPERATOR, ["Москва"]),
    ("Иван Петров", "ivan@demo.local", User.Role.OPERATOR, ["Екатеринбург"]),
    ("Мария Кузнецова", "maria@demo.local", User.Role.SUPERVISOR, ["Москва", "Екатеринбург"]),
]


def _demo_plan_set(company: Company) -> None:
    """The demo shows every paid feature: Pro, ten seats, no trial."""
    subscription_set_paid(company=company, plan=Plan.objects.get(code="pro"), seats=10)


def demo_seed() -> list[DemoLogin]:
    """Create the demo company and the platform staff login once; later runs keep the data."""
    logins = [
        DemoLogin("platform staff", STAFF_EMAIL, STAFF_PASSWORD),
        DemoLogin("admin", "admin@demo.local", DEMO_PASSWORD),
    ]
    logins += [
        DemoLogin(str(role.label), email, DEMO_PASSWORD) for _, email, role, _ in DEMO_PEOPLE
    ]
    if not User.objects.filter(email=STAFF_EMAIL).exists():
        User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD, full_name="Platform Staff")
    demo = Company.objects.filter(slug=DEMO_SLUG).first()
    if demo is not None:
        if subscription_of(demo).plan.is_trial:  # seeded before plans were data
            _demo_plan_set(demo)
        return logins
    with transaction.atomic():
        result = company_signup(
            name="Демо Компания",
            slug=DEMO_SLUG,
            admin_name="Анна Админова",
            email="admin@demo.local",
            password=DEMO_PASSWORD,
            language="ru",
            timezone_name="Europe/Moscow",
        )
        _demo_plan_set(result.company)
        with schema_context(result.company.schema_name):
            main = Branch.objects.get(is_default=True)
            main.name, main.region = "Москва", "Moscow"
            main.save(update_fields=["name", "region"])
            branch_create(
                name="Екатеринбург", region="Sverdlovsk Oblast", timezone_name="Asia/Yekaterinburg"
            )
            by_name = {b.name: b.pk for b in Branch.objects.all()}
            for full_name, email, role, branches in DEMO_PEOPLE:
                operator_create(
                    email=email,
                    full_name=full_name,
                    password=DEMO_PASSWORD,
                    role=role,
                    branch_ids=[by_name[b] for b in branches],
                )
            # Signup made the company's first inbox; the demo's allows the local machine.
            inbox = Inbox.objects.order_by("pk").first() or inbox_create(name="Сайт")
            inbox.name = "Сайт"
            inbox.allowed_domains = ["localhost", "*.localhost", "127.0.0.1"]
            inbox.greeting = "Здравствуйте! Чем можем помочь?"
            inbox.language = "ru"
            inbox.save(update_fields=["name", "allowed_domains", "greeting", "language"])
    return logins
