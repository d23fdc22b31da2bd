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
