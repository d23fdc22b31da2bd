#!/usr/bin/env python
"""Benchmark: self-service signup until the new panel is usable, and a no-op `migrate_schemas`.

    python bench/signup.py            # full: 20 signups at 0 and at 300 existing companies
    python bench/signup.py --quick    # 5 signups at 0 and at 60 existing companies (< 60 s)
    python bench/signup.py --json     # also one JSON object with every figure as the last line

What is measured (bench/README.md has the details):

* signup → usable panel: `company_signup(...)` (company row, schema cloned from the template,
  domain, trial, admin with the real Argon2 hasher, default branch) plus the admin's first visit
  to the panel: the handoff link, its redirects and `GET /dialogs/` answering 200. p50 and p95,
  first with no other companies, then with many (made with `company_signup` and a fast hasher);
* consecutive signups on one database connection (one server process within CONN_MAX_AGE);
* a no-op `manage.py migrate_schemas` over all those companies, in a fresh process as on a
  deploy, against django-tenants' stock per-schema migrate timed on a few schemas and
  extrapolated.

It runs against a database of its own (`messenger_bench_signup`), dropped and recreated at the
start and dropped at the end, on the server of DATABASE_URL; with DATABASE_URL unset it starts
the embedded development servers (messenger.devservers). Cache keys get their own prefix.
Progress goes to stderr; stdout holds the table and, with --json, the JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]
sys.path[:0] = [p for p in SOURCE_ROOTS if p not in sys.path]

from _stack import (  # noqa: E402
    Report,
    database_recreate,
    database_url_for,
    log,
    manage,
    percentile,
    process_run,
    server_params,
    stopwatch,
)

BENCH_DB = "messenger_bench_signup"
PASSWORD = "Bench-signup-2026!"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
FILLER_BATCH = 10  # set-up signups per database connection

# Goals. The migrate goal is the product's (a deploy must not stall on the number of
# companies). The signup goals are this benchmark's: a form submit lands in a working panel
# within a second, and neither more companies nor more signups on one connection slow it much.
GOAL_SIGNUP_P95_S = 1.0
GOAL_GROWTH_P50 = 1.5  # p50 with many companies / p50 with none
GOAL_SAME_CONNECTION = 1.5  # last / first of consecutive signups on one connection
GOAL_MIGRATE_S = 3.0
GOAL_MIGRATE_AT = 300


@dataclass(frozen=True)
class Plan:
    signups: int  # timed signups per phase
    existing: int  # companies present when the second phase starts
    same_connection: int  # consecutive set-up signups on one connection, timed
    migrate_repeats: int  # no-op migrate runs, best taken
    stock_processes: int  # processes timed running django-tenants' stock per-schema migrate


PLANS = {
    "full": Plan(
        signups=20, existing=300, same_connection=20, migrate_repeats=3, stock_processes=5
    ),
    "quick": Plan(signups=5, existing=60, same_connection=10, migrate_repeats=1, stock_processes=2),
}
STOCK_SCHEMAS = 5  # schemas in the stock sample; the per-schema cost is timed on all of them


def secs(value: float) -> str:
    return f"{value:.3f} s"


# --- database server and environment -------------------------------------------------------


def environment_prepare(db_name: str) -> dict[str, Any]:
    """Reach or start the servers, recreate the bench database, point the environment at it."""
    from messenger.devservers import DATA_DIR, ensure_services

    embedded = not os.environ.get("DATABASE_URL")
    if embedded:
        log("DATABASE_URL is unset: starting the embedded PostgreSQL and Redis")
        DATA_DIR.mkdir(parents=True, exist_ok=True)  # pgserver wants its parent to exist
    services = ensure_services(db_name)  # DATABASE_URL / REDIS_URL as they are when set
    params = server_params(services["DATABASE_URL"])
    database_recreate(params, db_name)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "messenger.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench",
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url_for(services["DATABASE_URL"], db_name),
            "REDIS_URL": services["REDIS_URL"],
            # Timed signups use the hasher users hit: a stray FAST_PASSWORD_HASHER=1 in the
            # shell or in a .env must not turn it into MD5.
            "FAST_PASSWORD_HASHER": "0",
            # Keeps the bench's cache keys apart from development data on a shared Redis.
            "CACHE_KEY_PREFIX": f"bench-{db_name}",
            "PYTHONPATH": os.pathsep.join(SOURCE_ROOTS),
        }
    )
    return {"embedded_servers": embedded, "server": params}


# django-tenants' stock migrate_schemas, one --schema at a time, back to back in one process,
# each timed: what its loop over companies pays per schema. handle() with options parsed as
# from the command line, so the per-schema system checks run as they do there.
STOCK_IN_ONE_PROCESS = """
import json, sys, time
import django
django.setup()
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
command = MigrateSchemasCommand()
parser = command.create_parser("manage.py", "migrate_schemas")
times = []
for name in sys.argv[1:]:
    options = vars(parser.parse_args([f"--schema={name}", "--noinput", "-v", "0"]))
    options.pop("args", None)
    start = time.perf_counter()
    command.handle(**options)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


# --- signups -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupTiming:
    signup_s: float  # company_signup(...)
    panel_s: float  # handoff link, its redirects, GET /dialogs/ answering 200

    @property
    def total_s(self) -> float:
        return self.signup_s + self.panel_s


def signup(slug: str) -> Any:
    from tenants.companies.services import company_signup

    return company_signup(
        name=f"Bench {slug}",
        slug=slug,
        admin_name="Bench Admin",
        email=f"admin@{slug}.example.com",
        password=PASSWORD,
        language="en",
        timezone_name="Europe/Moscow",
    )


def signup_to_panel(slug: str) -> SignupTiming:
    """One signup and the new admin's first authenticated page of the panel, timed."""
    from django.db import connection
    from django.test import Client

    from tenants.accounts.handoff import handoff_token_make

    # A new database connection, as a request gets once CONN_MAX_AGE has run out; signups on
    # one long-lived connection are measured on their own (companies_create).
    connection.close()
    with stopwatch() as signup_elapsed:
        result = signup(slug)
    with stopwatch() as panel_elapsed:
        token = handoff_token_make(user=result.admin, schema_name=result.company.schema_name)
        client = Client(HTTP_HOST=result.company.primary_host)
        response = client.get("/auth/handoff/", {"token": token}, follow=True)
    # The tenant middleware leaves the connection on the company's schema after a request, and
    # a company can only be created from the public one.
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants backend
    path = response.request["PATH_INFO"]
    if response.status_code != 200 or path != "/dialogs/":
        raise AssertionError(
            f"{slug}: panel not usable after signup: {response.status_code} at {path} "
            f"(redirects {response.redirect_chain})"
        )
    return SignupTiming(signup_elapsed(), panel_elapsed())


def companies_create(prefix: str, count: int, *, same_connection: int) -> list[float]:
    """`count` companies through company_signup with a fast hasher; the seconds of each.

    The first `same_connection` run unchanged on one database connection, as consecutive
    signups handled by one server process within CONN_MAX_AGE do: those timings are reported.
    The rest are set-up only (a new connection every FILLER_BATCH signups).
    """
    from django.db import connection
    from django.test import override_settings

    durations: list[float] = []
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        connection.close()
        for i in range(min(same_connection, count)):
            with stopwatch() as elapsed:
                signup(f"{prefix}-{i:04d}")
            durations.append(elapsed())
        for i in range(len(durations), count):
            if (i - same_connection) % FILLER_BATCH == 0:
                connection.close()
            with stopwatch() as elapsed:
                signup(f"{prefix}-{i:04d}")
            durations.append(elapsed())
            if (i + 1) % 50 == 0:
                log(f"  {i + 1}/{count} companies ({sum(durations):.1f} s)")
    connection.close()
    return durations


def company_delete(slug: str) -> None:
    from tenants.companies.models import Company

    Company.objects.get(slug=slug).delete(force_drop=True)


def company_schemas() -> list[str]:
    from django_tenants.utils import get_public_schema_name

    from tenants.companies.models import Company

    return list(
        Company.objects.exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def summary(timings: list[SignupTiming], existing: int) -> dict[str, Any]:
    totals = [t.total_s for t in timings]
    return {
        "existing_companies": existing,
        "n": len(timings),
        "p50_s": statistics.median(totals),
        "p95_s": percentile(totals, 95),
        "max_s": max(totals),
        "signup_p50_s": statistics.median(t.signup_s for t in timings),
        "panel_p50_s": statistics.median(t.panel_s for t in timings),
        "samples_s": [round(t, 4) for t in totals],
    }


def log_summary(fig: dict[str, Any]) -> None:
    log(f"  signup → panel p50 {fig['p50_s']:.3f} s, p95 {fig['p95_s']:.3f} s")


# --- the phases ----------------------------------------------------------------------------


def phase_signups(report: Report, plan: Plan, mode: str) -> None:
    figures = report.figures
    # One signup first, so the timed ones do not carry the process's first-request costs
    # (imports, URL resolver, templates); it is removed again to start from 0 companies.
    cold = signup_to_panel("bench-warmup")
    company_delete("bench-warmup")
    figures["cold_first_signup_s"] = cold.total_s
    report.add("first signup → panel of the process (cold, not in p50/p95)", secs(cold.total_s))

    log(f"{plan.signups} signups with no other companies")
    empty = [signup_to_panel(f"bench-a-{i:04d}") for i in range(plan.signups)]
    figures["signup_to_panel_0"] = summary(empty, 0)
    log_summary(figures["signup_to_panel_0"])

    filler = plan.existing - plan.signups  # the companies just made count as existing ones
    log(f"creating {filler} more companies (fast hasher), {plan.existing} in all")
    durations = companies_create("bench-x", filler, same_connection=plan.same_connection)
    figures["create_existing_s"] = sum(durations)
    per_company = sum(durations) / filler if filler else 0.0
    figures["create_existing_per_company_s"] = per_company
    report.add(
        f"set-up: {filler} more companies via company_signup, MD5 hasher",
        f"{sum(durations):.1f} s",
        f"({per_company:.3f} s each)",
    )
    reused = min(plan.same_connection, filler)
    if reused >= 6:
        # Medians of the first and of the last three, so one outlier does not decide it.
        first = statistics.median(durations[:3])
        last = statistics.median(durations[reused - 3 : reused])
        figures["same_connection"] = {
            "signups": reused,
            "first3_median_s": first,
            "last3_median_s": last,
            "ratio": last / first,
            "samples_s": [round(d, 4) for d in durations[:reused]],
        }
        report.add(
            f"{reused} signups on one DB connection (MD5): first → last, median of 3",
            f"{first:.2f} → {last:.2f} s",
            f"≤ {GOAL_SAME_CONNECTION:.1f}×",
            last / first <= GOAL_SAME_CONNECTION,
        )

    log(f"{plan.signups} signups with {plan.existing} companies")
    many = [signup_to_panel(f"bench-b-{i:04d}") for i in range(plan.signups)]
    figures["signup_to_panel_many"] = summary(many, plan.existing)
    log_summary(figures["signup_to_panel_many"])

    many_label = f"{plan.existing} existing"
    if mode == "quick":
        many_label += " (quick; full run: 300)"
    for label, fig in (
        ("0 existing", figures["signup_to_panel_0"]),
        (many_label, figures["signup_to_panel_many"]),
    ):
        report.add(f"signup → panel p50, {label}, n={fig['n']}", secs(fig["p50_s"]))
        report.add(
            f"signup → panel p95, {label}, n={fig['n']}",
            secs(fig["p95_s"]),
            f"≤ {GOAL_SIGNUP_P95_S:.1f} s",
            fig["p95_s"] <= GOAL_SIGNUP_P95_S,
        )
        report.add("  of which company_signup, p50", secs(fig["signup_p50_s"]))
        report.add("  of which handoff + GET /dialogs/, p50", secs(fig["panel_p50_s"]))
    growth = figures["signup_to_panel_many"]["p50_s"] / figures["signup_to_panel_0"]["p50_s"]
    figures["signup_p50_growth"] = growth
    report.add(
        f"signup → panel p50 growth, 0 → {plan.existing} companies",
        f"{growth:.2f}×",
        f"≤ {GOAL_GROWTH_P50:.1f}×",
        growth <= GOAL_GROWTH_P50,
    )


def phase_migrate(report: Report, plan: Plan, mode: str) -> None:
    from django.conf import settings
    from django.db import connections

    from messenger.kernel.schemas import schemas_behind

    figures = report.figures
    schemas = company_schemas()
    figures["companies"] = len(schemas)
    try:
        behind = schemas_behind([settings.TENANT_BASE_SCHEMA, *schemas])
    except Exception as exc:  # migration files this process cannot load
        behind = [f"unknown ({type(exc).__name__}: {exc})"]
    connections.close_all()
    if behind:
        # Migration files changed while this ran (a working tree others edit): catch up in a
        # fresh process, untimed, so that the timed runs are the no-op they are meant to be.
        log(f"schemas behind on migrations ({behind[0]}...); catching up before timing")
        figures["catch_up_migrate_s"] = manage("migrate_schemas", "--noinput", "-v", "0")
        report.add(
            "catch-up migrate (migrations changed during the run)",
            secs(figures["catch_up_migrate_s"]),
        )

    log(f"no-op migrate_schemas over {len(schemas)} companies, best of {plan.migrate_repeats}")
    runs = [manage("migrate_schemas", "--noinput", "-v", "0") for _ in range(plan.migrate_repeats)]
    figures["noop_migrate"] = {"companies": len(schemas), "best_s": min(runs), "runs_s": runs}
    where = f"{len(schemas)} companies" + (" (quick; goal is at 300)" if mode == "quick" else "")
    report.add(
        f"no-op migrate_schemas, {where}, best of {len(runs)}",
        secs(min(runs)),
        f"≤ {GOAL_MIGRATE_S:.0f} s at {GOAL_MIGRATE_AT}",
        min(runs) <= GOAL_MIGRATE_S,
    )

    log(f"stock django-tenants migrate: {plan.stock_processes} processes, then one for all")
    sample = schemas[:: max(1, len(schemas) // STOCK_SCHEMAS)][:STOCK_SCHEMAS]
    stock = [
        manage("migrate_schemas", f"--schema={s}", "--noinput", "-v", "0")
        for s in sample[: plan.stock_processes]
    ]
    # Process start-up is most of each of those, and too noisy on a shared machine to subtract
    # reliably; the per-schema cost is timed inside one process instead. The first migrate there
    # pays for lazy imports and the first checks, as the public schema's does in a full run.
    out = process_run("-c", STOCK_IN_ONE_PROCESS, *sample)[1]
    in_process = json.loads(out.strip().splitlines()[-1])
    per_schema = statistics.median(in_process[1:] or in_process)
    # A stock run over every company is one process: start-up and a first migrate (public),
    # then one per-schema migrate for each company.
    first = statistics.median(stock)
    stock_at = {n: first + n * per_schema for n in sorted({len(schemas), GOAL_MIGRATE_AT})}
    figures["stock_migrate"] = {
        "schemas": sample,
        "per_process_s": stock,  # the first len(per_process_s) of `schemas`
        "in_one_process_s": in_process,
        "per_schema_s": per_schema,
        "extrapolated_s": {str(n): s for n, s in stock_at.items()},
        "extrapolation": "median(per_process_s) + companies * median(in_one_process_s[1:])",
    }
    report.add(
        f"stock migrate_schemas --schema=X, median of {len(stock)} processes",
        secs(first),
    )
    report.add(
        f"  stock per-schema migrate inside one process, median of {len(in_process) - 1}",
        secs(per_schema),
    )
    # A reference for the figure above, not a goal of ours: no verdict.
    for n, value in stock_at.items():
        report.add(
            f"stock migrate_schemas at {n} companies (extrapolated, for reference)",
            f"{value:.1f} s",
        )


def run(plan: Plan, mode: str) -> Report:
    """Every phase; a failure ends the run but keeps what was measured (report.error)."""
    report = Report()
    report.figures["plan"] = plan.__dict__.copy()
    try:
        phases_run(report, plan, mode)
    except Exception as exc:  # reported; main() exits with 1
        traceback.print_exc()
        report.error = f"{type(exc).__name__}: {exc}"
    return report


def phases_run(report: Report, plan: Plan, mode: str) -> None:
    import django

    log("migrating the fresh database (public + company template)")
    with ThreadPoolExecutor(max_workers=1) as pool:
        migrating = pool.submit(manage, "migrate_schemas", "--noinput", "-v", "0")
        # Meanwhile, on the other core: imports and app registry only, no database.
        # WhiteNoise warns that STATIC_ROOT does not exist; the panel serves from finders here.
        warnings.filterwarnings("ignore", message="No directory at")
        django.setup()
        report.figures["initial_migrate_s"] = migrating.result()
    report.add("migrate_schemas on the empty database", secs(report.figures["initial_migrate_s"]))
    from django.conf import settings

    hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    if hasher != "Argon2PasswordHasher":
        raise RuntimeError(f"timed signups must use Argon2, not {hasher}")
    report.figures["password_hasher"] = hasher

    phase_signups(report, plan, mode)
    phase_migrate(report, plan, mode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n", 1)[0],
        epilog="Details: bench/README.md",
    )
    parser.add_argument(
        "--quick", action="store_true", help="5 signups, 60 existing companies, 1 migrate run"
    )
    parser.add_argument(
        "--json", action="store_true", help="print all figures as one JSON object, last line"
    )
    parser.add_argument("--signups", type=int, help="timed signups per phase (20; quick 5)")
    parser.add_argument("--existing", type=int, help="companies in the second phase (300; 60)")
    parser.add_argument(
        "--db-name", default=BENCH_DB, help=f"database to recreate and drop (default {BENCH_DB})"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop it at the end")
    args = parser.parse_args(argv)

    mode = "quick" if args.quick else "full"
    base = PLANS[mode]
    plan = Plan(
        signups=args.signups or base.signups,
        existing=base.existing if args.existing is None else args.existing,
        same_connection=base.same_connection,
        migrate_repeats=base.migrate_repeats,
        stock_processes=base.stock_processes,
    )
    if plan.signups < 2 or plan.existing < plan.signups:
        parser.error("need at least 2 signups and at least as many existing companies")
    if "bench" not in args.db_name:
        parser.error("the database gets dropped: its name must contain 'bench'")

    load_before = os.getloadavg()[0]
    with stopwatch() as elapsed:
        env = environment_prepare(args.db_name)
        try:
            report = run(plan, mode)
        finally:
            if "django.db" in sys.modules:
                from django.db import connections

                connections.close_all()
            if args.keep_db:
                log(f"kept database {args.db_name}")
            else:
                database_recreate(env["server"], args.db_name, drop_only=True)
    report.figures.update(
        mode=mode,
        embedded_servers=env["embedded_servers"],
        cpus=os.cpu_count(),
        # Other work on the machine inflates every figure; the 1-minute load average before
        # and after tells a clean run from a disturbed one.
        load_average={"before": load_before, "after": os.getloadavg()[0]},
        wall_s=elapsed(),
        passed=report.passed,
        error=report.error or None,
    )
    return report.print_out(
        f"Signup benchmark ({mode}): {os.cpu_count()} CPUs, wall time {elapsed():.1f} s, "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after",
        as_json=args.json,
    )


if __name__ == "__main__":
    sys.exit(main())
