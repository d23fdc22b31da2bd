#!/usr/bin/env python
"""Benchmark: how long a process of the product takes to start, with and without a writable
bytecode cache.

    python bench/startup.py            # 5 runs of each process in each mode (about 1-2 min)
    python bench/startup.py --quick    # 3 runs of each (< 60 s on an idle machine)
    python bench/startup.py --json     # also one JSON object with every figure as the last line

What is timed, each in a fresh process (bench/README.md has the details):

* `manage.py check`, until it exits;
* `python -c "import messenger.asgi"`: the ASGI application's import, until it exits;
* the ASGI server (`messenger.serve.uvicorn_command`, as production runs it) until it answers
  `GET /healthz` with 200;
* a Celery worker (`celery -A messenger worker -P solo`) until it logs that it is ready.

Each in two modes: "read-only", with PYTHONDONTWRITEBYTECODE=1 as in CI and the image, where
only the .pyc files made at install time (scripts/setup.sh) can spare compiling; "writable",
with a bytecode cache Python may write (PYTHONPYCACHEPREFIX, a scratch folder, filled by one
untimed warm-up run), the best case. Both should be the same. Min, median and max wall time,
and the median CPU time (user + system) of the process until done or ready: on a shared
machine CPU time shows the cost without the waiting for a core.

Redis: REDIS_URL when set, else the embedded development server (the worker needs a broker).
No process here touches PostgreSQL. Progress goes to stderr; stdout holds the table and, with
--json, the JSON line.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]
sys.path[:0] = [p for p in SOURCE_ROOTS if p not in sys.path]

from _processes import cpu_seconds  # noqa: E402
from _stack import Report, free_port, log  # noqa: E402

# Goals, in the read-only mode (the product as CI and the image run it), medians.
GOAL_CHECK_S = 1.5
GOAL_ASGI_READY_S = 2.0
# Read-only / writable: the product starts the same whether or not it may write .pyc files.
GOAL_MODE_RATIO = 1.3
READY_TIMEOUT_S = 120.0  # a process not ready by then counts as a failure
MODES = ("read-only", "writable")


# --- one process ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


def run_to_exit(command: list[str], env: dict[str, str]) -> Timing:
    """Start `command`; wall and CPU time until it exits (it must exit with 0)."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=output, stderr=output)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            output.seek(0)
            text = output.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(command[-3:])} exited with {proc.returncode}:\n{text}")
    return Timing(wall, usage.ru_utime + usage.ru_stime)


def run_to_ready(
    command: list[str], env: dict[str, str], ready: Callable[[list[str]], bool]
) -> Timing:
    """Start `command`; wall and CPU time until `ready(output lines so far)` holds, then stop
    it. Its output is read on a thread, so a chatty process never blocks on a full pipe."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(line.decode(errors="replace") for line in proc.stdout or ()),
        daemon=True,
    )
    reader.start()
    try:
        while not ready(lines):
            if proc.poll() is not None:
                reader.join(timeout=5)
                raise RuntimeError(f"{command[2]} exited with {proc.returncode}:\n{''.join(lines)}")
            if time.perf_counter() - started > READY_TIMEOUT_S:
                raise RuntimeError(f"{command[2]} not ready in {READY_TIMEOUT_S:.0f} s")
            time.sleep(0.01)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(timeout=5)
    return Timing(wall, cpu)


# --- the processes ------------------------------------------------------------------------


def answers_healthz(port: int) -> Callable[[list[str]], bool]:
    def ready(_lines: list[str]) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    return ready


def says_ready(lines: list[str]) -> bool:
    return any(" ready." in line for line in lines)  # "celery@host ready."


def time_check(env: dict[str, str]) -> Timing:
    return run_to_exit([sys.executable, str(REPO_DIR / "manage.py"), "check"], env)


def time_asgi_import(env: dict[str, str]) -> Timing:
    return run_to_exit([sys.executable, "-c", "import messenger.asgi"], env)


def time_asgi_ready(env: dict[str, str]) -> Timing:
    from messenger.serve import uvicorn_command

    port = free_port()
    return run_to_ready(uvicorn_command(port, quiet=True), env, answers_healthz(port))


def time_worker_ready(env: dict[str, str]) -> Timing:
    name = f"bench-startup-{os.getpid()}"
    command = [sys.executable, "-m", "celery", "-A", "messenger", "worker", "-P", "solo"]
    command += ["-Q", name, "-n", f"{name}@%h", "-l", "info"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return run_to_ready(command, env, says_ready)


TARGETS: dict[str, tuple[str, Callable[[dict[str, str]], Timing]]] = {
    "check": ("manage.py check", time_check),
    "asgi_import": ("ASGI app import", time_asgi_import),
    "asgi_ready": ("ASGI server answers /healthz", time_asgi_ready),
    "worker_ready": ("Celery worker ready", time_worker_ready),
}


# --- environment and run --------------------------------------------------------------------


def base_env() -> dict[str, Any]:
    """Production-like settings; Redis reached or started (the worker's broker)."""
    from messenger.devservers import DATA_DIR, ensure_redis

    embedded = not os.environ.get("REDIS_URL")
    if embedded:
        log("REDIS_URL is unset: starting the embedded Redis")
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "messenger.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench",
        "STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": ensure_redis(),
        "PYTHONPATH": os.pathsep.join(SOURCE_ROOTS),
    }
    env.pop("SENTRY_DSN", None)  # Sentry off, as in development and CI
    return {"env": env, "embedded_redis": embedded}


def mode_env(base: dict[str, str], mode: str, cache_dir: str) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key != "PYTHONPYCACHEPREFIX"}
    if mode == "read-only":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache_dir
    return env


def summary(timings: list[Timing]) -> dict[str, float]:
    walls = [t.wall_s for t in timings]
    return {
        "min_s": round(min(walls), 3),
        "median_s": round(statistics.median(walls), 3),
        "max_s": round(max(walls), 3),
        "cpu_median_s": round(statistics.median(t.cpu_s for t in timings), 3),
        "runs": len(walls),
    }


def span(fig: dict[str, float]) -> str:
    return (
        f"{fig['min_s']:.2f} / {fig['median_s']:.2f} / {fig['max_s']:.2f} s"
        f" (cpu {fig['cpu_median_s']:.2f} s)"
    )


def run(report: Report, runs: int, env: dict[str, str]) -> None:
    goals = {"check": GOAL_CHECK_S, "asgi_ready": GOAL_ASGI_READY_S}
    with tempfile.TemporaryDirectory(prefix="bench-startup-pyc-") as cache_dir:
        for key, (label, timer) in TARGETS.items():
            envs = {mode: mode_env(env, mode, cache_dir) for mode in MODES}
            log(f"{label}: warm-up with a writable cache")
            timer(envs["writable"])
            timings: dict[str, list[Timing]] = {mode: [] for mode in MODES}
            for index in range(runs):  # the modes take turns, so a busy spell hits both
                for mode in MODES:
                    timings[mode].append(timer(envs[mode]))
                log(
                    f"{label} run {index + 1}/{runs}: "
                    + ", ".join(f"{m} {timings[m][-1].wall_s:.2f} s" for m in MODES)
                )
            figs = {mode: summary(timings[mode]) for mode in MODES}
            ratio = figs["read-only"]["median_s"] / figs["writable"]["median_s"]
            report.figures[key] = {**figs, "ratio_read_only_to_writable": round(ratio, 2)}
            goal = goals.get(key)
            report.add(
                f"{label}, read-only .pyc (min/med/max)",
                span(figs["read-only"]),
                f"median <= {goal:.1f} s" if goal else "",
                figs["read-only"]["median_s"] <= goal if goal else None,
            )
            report.add(f"{label}, writable cache (min/med/max)", span(figs["writable"]))
            report.add(
                f"{label}, read-only / writable (medians)",
                f"{ratio:.2f}x",
                f"<= {GOAL_MODE_RATIO:.1f}x",
                ratio <= GOAL_MODE_RATIO,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n", 1)[0], epilog="Details: bench/README.md"
    )
    parser.add_argument("--quick", action="store_true", help="3 runs of each instead of 5")
    parser.add_argument(
        "--json", action="store_true", help="print all figures as one JSON object, last line"
    )
    parser.add_argument("--runs", type=int, help="timed runs of each process per mode")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    runs = args.runs or (3 if args.quick else 5)

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    report = Report()
    prepared = base_env()
    try:
        run(report, runs, prepared["env"])
    except Exception as exc:  # the table still shows what was measured
        report.error = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - started
    report.figures.update(
        mode=mode,
        runs=runs,
        embedded_redis=prepared["embedded_redis"],
        cpus=os.cpu_count(),
        # Other work on the machine inflates every wall figure; the 1-minute load average
        # before and after tells a clean run from a disturbed one.
        load_average={"before": load_before, "after": os.getloadavg()[0]},
        wall_s=round(wall, 1),
        passed=report.passed,
        error=report.error or None,
    )
    return report.print_out(
        f"Start-up benchmark ({mode}, {runs} runs per mode): {os.cpu_count()} CPUs, wall time "
        f"{wall:.1f} s, load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
