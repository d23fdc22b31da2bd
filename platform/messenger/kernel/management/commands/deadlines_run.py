"""`manage.py deadlines_run`: the deadline runner (escalations, presence grace periods).

Runs until SIGTERM / SIGINT. Any number may run; see messenger.kernel.deadlines.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from messenger.kernel.deadlines import POLL_SECONDS, RUNNER_THREADS, deadlines_run


class Command(BaseCommand):
    help = "Fire due deadlines (escalations, presence grace periods) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=RUNNER_THREADS)
        parser.add_argument("--poll", type=float, default=POLL_SECONDS)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        deadlines_run(stop, threads=options["threads"], poll=options["poll"])
