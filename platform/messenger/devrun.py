"""Run the whole product on one machine: database, Redis, migrations, demo data, ASGI server,
Celery worker and beat, and the deadline runner. Ctrl+C stops all of it; the data stays in
.data/ for the next run.

    python -m messenger.devrun [--port 8000]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

from messenger.devservers import DATA_DIR, REPO_DIR, ensure_services
from messenger.serve import uvicorn_command

PY = sys.executable


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.setdefault("DJANGO_DEBUG", "1")
    env.setdefault("DJANGO_SETTINGS_MODULE", "messenger.settings")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_DIR), str(REPO_DIR / "platform")])
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    services = ensure_services(os.environ.get("DATABASE_NAME", "messenger"))
    env = child_env({**services, "PUBLIC_PORT": str(args.port)})
    manage = [PY, str(REPO_DIR / "manage.py")]
    subprocess.run([*manage, "migrate_schemas", "--noinput", "-v", "0"], env=env, check=True)
    seeded = subprocess.run(
        [*manage, "seed_demo"], env=env, check=True, capture_output=True, text=True
    ).stdout
    procs = [
        subprocess.Popen(
            uvicorn_command(args.port),
            env=env,
        ),
        subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "messenger",
                "worker",
                "-l",
                "warning",
                "--concurrency",
                "2",
                "-n",
                f"dev@{os.uname().nodename}",
            ],
            env=env,
        ),
        subprocess.Popen([*manage, "deadlines_run"], env=env),
        subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "messenger",
                "beat",
                "-l",
                "warning",
                "-s",
                str(DATA_DIR / "celerybeat-schedule"),
            ],
            env=env,
        ),
    ]
    host = env.get("BASE_HOST", "localhost")
    print(
        f"\n  Messenger is running.\n"
        f"  Sign up:        http://{host}:{args.port}/signup/\n"
        f"  Console:        http://{host}:{args.port}/console/\n"
        f"  Demo panel:     http://demo.{host}:{args.port}/\n"
        f"  Demo site:      http://{host}:{args.port}/demo/  (a page with the chat widget)\n"
        f"  Health:         http://{host}:{args.port}/readyz\n"
        f"  Database:       {services['DATABASE_URL']}\n  Redis:          {services['REDIS_URL']}\n"
        f"\n  Logins:\n{seeded}\n  Ctrl+C stops everything.\n",
        flush=True,
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.3)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
