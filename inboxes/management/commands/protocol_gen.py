"""`manage.py protocol_gen [--check]`: writes widget-cdn/src/shared/protocol.gen.ts from the
APIs' OpenAPI documents (messenger/protocol_gen.py); `--check` only says whether it is stale."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from messenger import protocol_gen


class Command(BaseCommand):
    help = "Generate the front-end's protocol types from the OpenAPI documents."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="fail when the file is stale")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        text = protocol_gen.render()
        current = protocol_gen.OUTPUT.read_text() if protocol_gen.OUTPUT.exists() else ""
        if check:
            if current != text:
                raise CommandError(f"{protocol_gen.OUTPUT} is stale: run manage.py protocol_gen")
            return
        if current != text:
            protocol_gen.OUTPUT.write_text(text)
        self.stdout.write(str(protocol_gen.OUTPUT))
