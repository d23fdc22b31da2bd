#!/usr/bin/env python
"""Benchmark: real-time delivery from a visitor's socket to the operators' sockets.

    python bench/realtime.py            # full: 20 s at 200 msg/s, 5 s steps, 10,000 idle (~5 min)
    python bench/realtime.py --quick    # 8 s at 200 msg/s, 1.5 s steps, 2,000 sockets (< 60 s)
    python bench/realtime.py --json     # also one JSON object with every figure as the last line
    python bench/realtime.py --no-deflate   # clients do not offer permessage-deflate

What is measured (bench/README.md, `realtime.py`, says how and why):

1. latency from just before a visitor's `message.send` frame is written to the first operator
   socket receiving its `message.created` (matched by client id), p50/p99, at 200 msg/s with
   1,000 connected visitors (one unassigned conversation each) and 50 connected operators; also
   the last of the 50 operators, the sender's `message.ack`, delivered operator frames/s, how
   many operators got each message, lost messages and duplicate frames;
2. the highest delivered operator frames/s with p99 ≤ 100 ms, stepping the send rate
   (20, 40, 80 … msg/s; each message is one frame per operator);
3. idle visitor sockets held by one server, its RSS before and after (memory per socket), each
   socket answering a ping (full: 10,000 on a fresh server; --quick: 2,000 counting the load
   phases' sockets);
4. the same round trip through a bare `websockets` + Redis pub/sub relay (bench/realtime_relay.py,
   no database), so the product's figures are printed next to that floor.

Set-up: a fresh database `messenger_bench_rt` (dropped and recreated on the server of
DATABASE_URL, else on 127.0.0.1:5432, else on the embedded servers), `migrate_schemas`, the
demo company (`demo`, schema `co_demo`) plus 50 operators with panel sessions and the visitors'
contacts, tokens and conversations (the first 10/50 visitors go through the widget's HTTP API,
the rest are bulk-made with the same models and tokens). uvicorn serves `messenger.asgi` with
a worker process per core (`--workers`), as production does (messenger.serve). The load
generator (asyncio processes: visitors, operators, idle sockets) runs on the same 2-core
machine, so the server shares its cores with the clients, PostgreSQL and Redis; each phase
reports the CPU each of them used, and what the rest of the machine used.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]
sys.path[:0] = [p for p in SOURCE_ROOTS if p not in sys.path]


from _processes import CpuMeter, Server, backend_pids, raise_nofile  # noqa: E402
from _realtime_load import (  # noqa: E402
    Idle,
    Load,
    connect_all,
    idle_separate,
    load_run,
    probe_all,
    report_idle,
    report_load,
    report_steps,
    steps_run,
)
from _realtime_setup import (  # noqa: E402
    BENCH_DB,
    PLANS,
    Plan,
    Report,
    Seeding,
    conversations_assign,
    environment_prepare,
    http_visitors,
    ms,
    product_start,
    relay_start,
)
from _sockets import FleetProcess, operator_specs, visitor_specs  # noqa: E402
from _stack import database_recreate, log, manage  # noqa: E402


class Bench:
    """Everything one run starts, so that it can all be stopped whatever happens."""

    def __init__(self, plan: Plan, report: Report, env: dict[str, Any], deflate: bool) -> None:
        self.plan, self.report, self.env, self.deflate = plan, report, env, deflate
        self.figures = report.figures
        self.fleets: list[FleetProcess] = []
        self.server: Server | None = None
        self.meter = CpuMeter(self.groups)

    def groups(self) -> dict[str, list[int]]:
        names = {
            "server": self.server.pids() if self.server else [],
            "generator": [f.pid for f in self.fleets],
            "postgres": backend_pids(self.env["server"], BENCH_DB),
        }
        if self.env["redis_pid"]:
            names["redis"] = [self.env["redis_pid"]]
        return names

    def stop(self) -> None:
        for fleet in self.fleets:
            fleet.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def run(self, seeding: Seeding) -> None:
        plan, report, figures, deflate = self.plan, self.report, self.figures, self.deflate
        vis, ops = FleetProcess("visitors"), FleetProcess("operators")
        idle_fleets = [FleetProcess(f"idle{i}") for i in range(plan.idle_procs)]
        self.fleets += [vis, ops, *idle_fleets]

        log(f"seeding while uvicorn ({plan.workers} workers) starts")
        self.server = server = product_start(plan.workers, wait=False)
        seeded, figures["seed_s"] = seeding.result()
        server.wait_ready()
        visitors = http_visitors(server.port, seeded["public_key"], plan.http_visitors)
        visitors += seeded["visitors"]
        time.sleep(0.5)
        rss_fresh = server.rss_mib()
        log(f"connecting {len(seeded['sessions'])} operators and {len(visitors):,} visitors")
        start = time.monotonic()
        ops.begin("connect", operator_specs(server.port, seeded["sessions"]), 10, deflate)
        vis.begin("connect", visitor_specs(server.port, visitors), 50, deflate)
        o_opened, v_opened = ops.end(), vis.end()
        figures["connect"] = {"operators": o_opened, "visitors": v_opened}
        if o_opened["failed"] or v_opened["failed"]:
            raise RuntimeError(
                f"connect failures: {o_opened['failed']} {v_opened['failed']}\n{server.tail()}"
            )
        expect = o_opened["opened"]
        if not plan.idle_separate:
            extra = plan.idle - expect - v_opened["opened"]
            specs = visitor_specs(server.port, [[t, None] for t in seeded["idle_tokens"][:extra]])
            opened = connect_all(idle_fleets, specs, 50, deflate)
            connect_s = time.monotonic() - start
            time.sleep(plan.idle_hold_s)
            idle = Idle(
                requested=plan.idle,
                opened=expect + v_opened["opened"] + opened["opened"],
                failed=opened["failed"],
                connect_s=connect_s,
                rss_before_mib=rss_fresh,
                rss_after_mib=server.rss_mib(),
                note=(
                    f"quick: the {plan.idle:,} are the load phases' {expect} operator and "
                    f"{v_opened['opened']:,} visitor sockets plus {opened['opened']:,} idle "
                    "visitor ones, measured before any message; every one is pinged after the "
                    "rate steps."
                ),
            )
        report.notes.append(
            f"{os.cpu_count()} CPUs; uvicorn with {plan.workers} worker process(es) (uvloop, "
            "`--ws websockets`, no permessage-deflate); the load "
            "generator, PostgreSQL and Redis run on the same machine (`other` in the CPU rows is "
            "everything else the machine ran meanwhile). "
            f"Sockets: {expect} operators (role operator: `pool` group), {v_opened['opened']:,} "
            f"visitors ({plan.http_visitors} made through the widget HTTP API), one conversation "
            f"each; negotiated extensions: {', '.join(v_opened['extensions']) or 'none'}."
        )

        log("warm-up: 50 msg/s for 1 s")
        load_run(
            vis, ops, self.meter, rate=50, seconds=1, expect=expect, tag="w", wait_s=5, quiet_s=2
        )

        log("2. rate steps")
        steps, best = steps_run(vis, ops, self.meter, plan, expect=expect, tag="step")
        figures["steps"] = [s.summary() for s in steps]
        figures["max_sustained_frames_per_s"] = round(best, 1)
        report.section = 2
        report_steps(report, "", steps, best, goal=True)

        if not plan.idle_separate:
            probe = probe_all([vis, ops, *idle_fleets], 20.0)
            idle.answered, idle.probe_s = probe["answered"], probe["seconds"]
            idle.closed = probe["closed"]
            figures["idle"] = idle.summary()
            report.section = 3
            report_idle(report, plan, idle)

        assigned = conversations_assign(self.env["server"], assigned=True)
        log(
            f"1. latency at {plan.rate:g} msg/s for {plan.latency_s:g} s, {assigned:,} "
            f"conversations assigned round robin to the {expect} operators"
        )
        main = load_run(
            vis,
            ops,
            self.meter,
            rate=plan.rate,
            seconds=plan.latency_s,
            expect=1,
            tag="lat",
            wait_s=plan.wait_s,
            quiet_s=plan.quiet_s,
        )
        figures["latency"] = main.summary()
        log(f"  p50 {ms(main.p50)}, p99 {ms(main.p99)}, lost {main.lost}, cpu {main.cpu}")
        report.section = 1
        report_load(report, f"{plan.rate:g} msg/s, assigned", main, 1, goals=True)

        conversations_assign(self.env["server"], assigned=False)
        log(f"   reference: {plan.rate:g} msg/s for {plan.broadcast_s:g} s, all unassigned")
        broadcast = load_run(
            vis,
            ops,
            self.meter,
            rate=plan.rate,
            seconds=plan.broadcast_s,
            expect=expect,
            tag="bc",
            wait_s=plan.wait_s,
            quiet_s=plan.quiet_s,
        )
        figures["latency_unassigned"] = broadcast.summary()
        log(
            f"  p50 {ms(broadcast.p50)}, p99 {ms(broadcast.p99)}, lost {broadcast.lost}, "
            f"cpu {broadcast.cpu}"
        )
        report_load(
            report,
            f"{plan.rate:g} msg/s, unassigned (all {expect} get each)",
            broadcast,
            expect,
            goals=False,
        )
        for fleet in (vis, ops):
            status = fleet.call("status")
            figures.setdefault("generator_status", {})[fleet.name] = status
        figures["operator_frame_bytes"] = len(
            figures["generator_status"]["operators"].get("sample_frame", "").encode()
        )
        figures["server_rss_end_mib"] = round(server.rss_mib(), 1)
        figures["server_log_tail"] = server.tail(10)
        self.server = None
        server.stop(kill=True)  # a backlog left by the latency run need not drain
        for fleet in self.fleets:
            fleet.call("close_all")

        if plan.idle_separate:
            log(f"3. {plan.idle:,} idle visitor sockets (a fresh server of their own)")
            idle = idle_separate(plan, seeded["idle_tokens"], idle_fleets, deflate)
            figures["idle"] = idle.summary()
            report.section = 3
            report_idle(report, plan, idle)

        log("4. floor: websockets + Redis pub/sub relay")
        fd, template = tempfile.mkstemp(prefix="bench-rt-frame-", suffix=".json")
        sample = figures["generator_status"]["operators"]["sample_frame"]
        with os.fdopen(fd, "w") as out:
            out.write(sample)
        try:  # the relay sends frames of the product's shape and size
            self.server = relay = relay_start(template if sample else "")
        finally:
            os.unlink(template)
        ops.begin("connect", operator_specs(relay.port, seeded["sessions"]), 10, deflate)
        vis.begin("connect", visitor_specs(relay.port, visitors, tickets=False), 50, deflate)
        ops.end(), vis.end()
        load_run(
            vis, ops, self.meter, rate=50, seconds=1, expect=expect, tag="fw", wait_s=5, quiet_s=2
        )
        fsteps: list[Load] = []
        fbest = 0.0
        if plan.floor_steps:
            fsteps, fbest = steps_run(vis, ops, self.meter, plan, expect=expect, tag="floor")
            figures["floor_steps"] = [s.summary() for s in fsteps]
            figures["floor_max_sustained_frames_per_s"] = round(fbest, 1)
        floor = load_run(
            vis,
            ops,
            self.meter,
            rate=plan.rate,
            seconds=plan.floor_latency_s,
            expect=expect,
            tag="floor",
            wait_s=plan.wait_s,
            quiet_s=plan.quiet_s,
        )
        figures["floor_latency"] = floor.summary()
        figures["floor_log_tail"] = relay.tail(10)
        log(f"  p50 {ms(floor.p50)}, p99 {ms(floor.p99)}, lost {floor.lost}, cpu {floor.cpu}")

        report.section = 4
        report_load(report, f"floor {plan.rate:g} msg/s", floor, expect, goals=False)
        if fsteps:
            report_steps(report, "floor ", fsteps, fbest, goal=False)
        ratios = {"p50": main.p50 / floor.p50, "p99": main.p99 / floor.p99}
        figures["product_over_floor"] = {
            k: None if math.isinf(v) or math.isnan(v) else round(v, 2) for k, v in ratios.items()
        }
        report.add(
            f"product / floor at {plan.rate:g} msg/s (p50, p99)",
            ", ".join("∞" if math.isinf(v) else f"{v:.1f}×" for v in ratios.values()),
        )
        if fsteps:
            report.add(
                "product / floor highest frames/s within the limit",
                f"{best / fbest:.2f}×" if fbest else "—",
            )


def run(plan: Plan, mode: str, *, deflate: bool, redis_db: int | None) -> Report:
    report = Report(mode=mode)
    figures = report.figures
    started = time.monotonic()
    raise_nofile()
    figures["machine"] = {
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "uvicorn_workers": plan.workers,
        "generator_same_machine": True,
        "client_permessage_deflate": deflate,
    }
    figures["plan"] = {k: getattr(plan, k) for k in plan.__dataclass_fields__}

    log(f"fresh database {BENCH_DB}, migrate_schemas, seed")
    env = environment_prepare(redis_db)
    figures["redis_url"] = env["redis_url"]
    bench = Bench(plan, report, env, deflate)
    try:
        figures["migrate_s"] = round(manage("migrate_schemas", "--noinput", "-v", "0"), 2)
        bench.run(Seeding(plan, plan.idle + 20))
    except Exception as exc:  # the table still shows what was measured
        import traceback

        traceback.print_exc()
        report.error = f"{type(exc).__name__}: {exc}"
    finally:
        bench.stop()
        database_recreate(env["server"], BENCH_DB, drop_only=True)
        import redis

        redis.Redis.from_url(env["redis_url"]).flushdb()
        env["lock"].close()
    figures["total_s"] = round(time.monotonic() - started, 1)
    figures["machine"]["loadavg_at_end"] = os.getloadavg()
    load = (figures["machine"]["loadavg_at_start"][0], figures["machine"]["loadavg_at_end"][0])
    report.notes.insert(
        0,
        f"Load average (1 min) at start / end: {load[0]:.1f} / {load[1]:.1f}. The machine is "
        "shared: compare runs that start near 0 and whose `other` CPU stays low.",
    )
    report.section = 9
    quick = mode == "quick"
    report.add(
        "benchmark wall time",
        f"{figures['total_s']:.0f} s",
        "< 60 s" if quick else "",
        figures["total_s"] < 60 if quick else None,
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the < 60 s variant")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="clients do not offer permessage-deflate (browsers do)",
    )
    parser.add_argument("--redis-db", type=int, help="Redis database to use (and flush)")
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn worker processes (2: one per core)"
    )
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    plan = dataclasses.replace(PLANS[mode], workers=args.workers)
    report = run(plan, mode, deflate=not args.no_deflate, redis_db=args.redis_db)
    print(f"Real-time delivery ({mode})")
    print(report.table())
    if args.json:
        summary = {"benchmark": "realtime", "mode": mode, "passed": report.passed}
        summary["error"] = report.error or None
        print(json.dumps({**summary, **report.figures}, ensure_ascii=False, default=str))
    return 1 if report.error else 0


if __name__ == "__main__":
    sys.exit(main())
