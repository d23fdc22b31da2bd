"""Create the demo company and staff login (idempotent) and print the logins."""

from typing import Any

from django.core.management.base import BaseCommand

from inboxes.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo company `demo` and a platform staff login, once."

    def handle(self, *args: Any, **options: Any) -> None:
        for login in demo_seed():
            self.stdout.write(f"{login.role:>16}  {login.email}  {login.password}")
