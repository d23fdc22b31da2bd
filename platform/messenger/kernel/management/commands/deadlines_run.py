"""`manage.py deadlines_run`: the deadline runner (escalations, presence grace periods).

Runs until SIGTERM / SIGINT. Any number may run; see messenger.kernel.deadlines. A runner is
one Python process (its threads share one core, the GIL's); `--processes N` starts N-1 more
copies of itself and stops them with it, to use N cores.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from messenger.kernel.deadlines import POLL_SECONDS, RUNNER_THREADS, deadlines_run


class Command(BaseCommand):
    help = "Fire due deadlines (escalations, presence grace periods) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=RUNNER_THREADS)
        parser.add_argument("--poll", type=float, default=POLL_SECONDS)
        parser.add_argument("--processes", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        copies = [
            subprocess.Popen(  # noqa: S603 (this very command, with our own arguments)
                [
                    sys.executable,
                    sys.argv[0],
                    "deadlines_run",
                    "--threads",
                    str(options["threads"]),
                    "--poll",
                    str(options["poll"]),
                ]
            )
            for _ in range(max(0, options["processes"] - 1))
        ]
        try:
            deadlines_run(stop, threads=options["threads"], poll=options["poll"])
        finally:
            for copy in copies:
                copy.terminate()
            for copy in copies:
                copy.wait(timeout=30)
