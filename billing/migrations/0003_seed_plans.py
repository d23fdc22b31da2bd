"""The starting catalogue of plans and prices; staff change it afterwards as data."""

from django.db import migrations

ALL_FEATURES = ["analytics", "supervision", "api_access"]

PLANS = [
    {
        "code": "trial",
        "name": "Trial",
        "is_trial": True,
        "is_public": False,
        "trial_days": 14,
        "sort_order": 0,
        "features": ALL_FEATURES,
        "max_seats": 10,
        "max_inboxes": 5,
        "max_conversations_per_month": 1000,
        "file_size_mb": 25,
        "prices": [],
    },
    {
        "code": "start",
        "name": "Start",
        "sort_order": 10,
        "features": [],
        "max_seats": None,
        "max_inboxes": 1,
        "max_conversations_per_month": 2000,
        "file_size_mb": 10,
        # per seat: (currency, interval, amount in kopecks or cents)
        "prices": [
            ("rub", "month", 99000),
            ("rub", "year", 990000),
            ("usd", "month", 1200),
            ("usd", "year", 12000),
        ],
    },
    {
        "code": "pro",
        "name": "Pro",
        "sort_order": 20,
        "features": ALL_FEATURES,
        "max_seats": None,
        "max_inboxes": 10,
        "max_conversations_per_month": None,
        "file_size_mb": 25,
        "prices": [
            ("rub", "month", 199000),
            ("rub", "year", 1990000),
            ("usd", "month", 2400),
            ("usd", "year", 24000),
        ],
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    PlanPrice = apps.get_model("billing", "PlanPrice")
    Subscription = apps.get_model("billing", "Subscription")
    for spec in PLANS:
        fields = {k: v for k, v in spec.items() if k not in ("code", "prices")}
        plan, _ = Plan.objects.update_or_create(code=spec["code"], defaults=fields)
        for currency, interval, amount in spec["prices"]:
            PlanPrice.objects.update_or_create(
                plan=plan,
                currency=currency,
                interval=interval,
                defaults={"amount_minor": amount},
            )
    # Companies already on a trial keep the trial's seats.
    Subscription.objects.filter(plan__code="trial").update(seats=10)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_plans_as_data")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
