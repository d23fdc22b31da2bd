"""factory_boy factories; they write into whichever company schema is active."""

from __future__ import annotations

import factory

from tenants.accounts.models import User
from tenants.organization.models import Branch

PASSWORD = "a-long-test-password-42"


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"Branch {n}")
    region = "Moscow"
    timezone = "Europe/Moscow"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    role = User.Role.OPERATOR
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def persist(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


def staff_device(staff: User):  # type: ignore[no-untyped-def]
    """The staff member's confirmed TOTP device (made once)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=staff, name="test", confirmed=True)


def totp_now(device) -> str:  # type: ignore[no-untyped-def]
    """The code the device's authenticator app shows now."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def staff_login(client, staff: User):  # type: ignore[no-untyped-def]
    """Log `client` into the console as `staff` past both factors (password and TOTP code)."""
    from django.db import connection
    from django_otp import DEVICE_ID_SESSION_KEY

    connection.set_schema_to_public()  # staff live in the public schema
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = staff_device(staff).persistent_id
    session.save()
    return client
