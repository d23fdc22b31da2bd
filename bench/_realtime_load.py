"""The measurements of bench/realtime.py: message load at a rate, rate steps, idle sockets,
and the rows they add to the report."""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from _processes import CpuMeter
from _realtime_setup import (
    GOAL_FRAMES_PER_S,
    GOAL_IDLE_SOCKETS,
    GOAL_P50_MS,
    GOAL_P99_MS,
    STEP_P99_LIMIT_MS,
    Plan,
    Report,
    ms,
    product_start,
)
from _sockets import FleetProcess, SocketSpec, visitor_specs
from _stack import log, percentile


@dataclass
class Load:
    """One paced run: what was sent and what the operators and the senders received.

    Latencies are per message sent; one that never reached an operator within the wait counts
    as infinitely late, so percentiles cannot look better by losing the slow ones."""

    rate: float
    sent: int
    send_seconds: float
    waited_s: float  # how long stragglers were waited for after sending stopped
    first_ms: list[float]  # send → first operator, per message sent (inf: never)
    last_ms: list[float]  # send → last operator that got it
    ack_ms: list[float]  # send → the sender's message.ack (inf: none)
    lost: int  # reached no operator within the wait
    partial: int  # reached some but not all operators
    duplicates: int  # frames beyond one per operator per message
    frames: int
    frames_per_s: float
    reach: list[int]
    cpu: dict[str, float]

    @property
    def p50(self) -> float:
        return percentile(self.first_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.first_ms, 99)

    @property
    def within_limit(self) -> bool:
        return self.p99 <= STEP_P99_LIMIT_MS and self.lost == 0 and self.partial == 0

    def summary(self) -> dict[str, Any]:
        def r(value: float) -> float | None:
            return None if math.isinf(value) or math.isnan(value) else round(value, 2)

        return {
            "rate_msg_s": self.rate,
            "sent": self.sent,
            "achieved_send_rate_msg_s": round(self.sent / self.send_seconds, 1),
            "waited_s": round(self.waited_s, 1),
            "first_operator_p50_ms": r(self.p50),
            "first_operator_p99_ms": r(self.p99),
            "first_operator_max_ms": r(max(self.first_ms, default=math.nan)),
            "last_operator_p50_ms": r(percentile(self.last_ms, 50)),
            "last_operator_p99_ms": r(percentile(self.last_ms, 99)),
            "ack_p50_ms": r(percentile(self.ack_ms, 50)),
            "ack_p99_ms": r(percentile(self.ack_ms, 99)),
            "lost": self.lost,
            "partial": self.partial,
            "duplicates": self.duplicates,
            "missing_acks": sum(math.isinf(a) for a in self.ack_ms),
            "operator_frames": self.frames,
            "operator_frames_per_s": round(self.frames_per_s, 1),
            "operators_per_message_min": min(self.reach, default=0),
            "operators_per_message_median": statistics.median(self.reach) if self.reach else 0,
            "cpu_cores": self.cpu,
        }


def load_run(
    visitors: FleetProcess,
    operators: FleetProcess,
    meter: CpuMeter,
    *,
    rate: float,
    seconds: float,
    expect: int,
    tag: str,
    wait_s: float,
    quiet_s: float,
) -> Load:
    """Send at `rate` for `seconds`, then wait up to `wait_s` for every operator to have all
    (less if no operator frame arrives for `quiet_s`)."""
    meter.start()
    sent = visitors.call("send", rate, seconds, tag)
    client_ids = [c for c, _ in sent["sent"]]
    got = operators.call("collect", client_ids, expect, wait_s, quiet_s)
    cpu = meter.stop()
    acks = visitors.call("take_acks", client_ids)
    records = got["records"]
    first, last, ack, reach = [], [], [], []
    lost = partial = duplicates = frames = 0
    last_arrival = 0
    for (client_id, t_sent), t_ack in zip(sent["sent"], acks, strict=True):
        ack.append(math.inf if t_ack is None else (t_ack - t_sent) / 1e6)
        record = records.get(client_id)
        if record is None:
            lost += 1
            reach.append(0)
            first.append(math.inf)
            last.append(math.inf)
            continue
        t_first, t_last, count, distinct, _ = record
        first.append((t_first - t_sent) / 1e6)
        last.append((t_last - t_sent) / 1e6)
        reach.append(distinct)
        partial += distinct < expect
        duplicates += count - distinct
        frames += count
        last_arrival = max(last_arrival, t_last)
    t_start = sent["sent"][0][1] if sent["sent"] else 0
    window = (last_arrival - t_start) / 1e9 if last_arrival else 0.0
    return Load(
        rate=rate,
        sent=len(client_ids),
        send_seconds=sent["seconds"],
        waited_s=got["waited"],
        first_ms=first,
        last_ms=last,
        ack_ms=ack,
        lost=lost,
        partial=partial,
        duplicates=duplicates,
        frames=frames,
        frames_per_s=frames / window if window else 0.0,
        reach=reach,
        cpu=cpu,
    )


def steps_run(
    visitors: FleetProcess,
    operators: FleetProcess,
    meter: CpuMeter,
    plan: Plan,
    *,
    expect: int,
    tag: str,
) -> tuple[list[Load], float]:
    """Double the rate until p99 passes the limit (or a message goes missing); the best
    delivered frames/s of the steps within it."""
    steps: list[Load] = []
    best = 0.0
    for rate in plan.step_rates:
        load = load_run(
            visitors,
            operators,
            meter,
            rate=rate,
            seconds=plan.step_s,
            expect=expect,
            tag=f"{tag}{rate}",
            wait_s=min(plan.wait_s, plan.step_s + 2),
            quiet_s=2.0,
        )
        steps.append(load)
        log(
            f"  {tag} {rate} msg/s: p50 {ms(load.p50)}, p99 {ms(load.p99)}, "
            f"{load.frames_per_s:,.0f} frames/s, lost {load.lost}, cpu {load.cpu}"
        )
        if not load.within_limit:
            operators.call("settle", 0.5, plan.wait_s)  # let the backlog drain first
            break
        best = max(best, load.frames_per_s)
    return steps, best


def report_load(report: Report, label: str, load: Load, expect: int, *, goals: bool) -> None:
    s = load.summary()
    report.add(
        f"{label}: send → first operator p50",
        ms(load.p50),
        f"≤ {GOAL_P50_MS:g} ms" if goals else "",
        load.p50 <= GOAL_P50_MS if goals else None,
    )
    report.add(
        f"{label}: send → first operator p99",
        ms(load.p99),
        f"≤ {GOAL_P99_MS:g} ms" if goals else "",
        load.p99 <= GOAL_P99_MS if goals else None,
    )
    report.add(
        f"{label}: send → last of {expect} operators p50 / p99",
        f"{ms(percentile(load.last_ms, 50))} / {ms(percentile(load.last_ms, 99))}",
    )
    report.add(
        f"{label}: send → message.ack p50 / p99",
        f"{ms(percentile(load.ack_ms, 50))} / {ms(percentile(load.ack_ms, 99))}",
    )
    report.add(
        f"{label}: messages sent (achieved rate)",
        f"{load.sent:,} ({s['achieved_send_rate_msg_s']:g}/s)",
    )
    report.add(f"{label}: delivered operator frames/s", f"{load.frames_per_s:,.0f}")
    report.add(
        f"{label}: operators reached per message (min / median)",
        f"{s['operators_per_message_min']} / {s['operators_per_message_median']:g}",
        f"{expect} of {expect}",
        min(load.reach, default=0) == expect,
    )
    report.add(
        f"{label}: lost (no operator had it {load.waited_s:.0f} s after sending stopped)",
        str(load.lost),
        "0",
        load.lost == 0,
    )
    report.add(f"{label}: duplicate frames", str(load.duplicates), "0", load.duplicates == 0)
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in load.cpu.items())
    report.add(f"{label}: CPU cores used", cpu)


def report_steps(report: Report, label: str, steps: list[Load], best: float, goal: bool) -> None:
    for s in steps:
        report.add(
            f"{label}step {s.rate:g} msg/s: p50 / p99, frames/s, lost",
            f"{ms(s.p50)} / {ms(s.p99)}, {s.frames_per_s:,.0f}, {s.lost}",
        )
    report.add(
        f"{label}highest delivered frames/s with p99 ≤ {STEP_P99_LIMIT_MS:g} ms",
        f"{best:,.0f}",
        f"≥ {GOAL_FRAMES_PER_S:,.0f}" if goal else "",
        best >= GOAL_FRAMES_PER_S if goal else None,
    )


def connect_all(
    fleets: list[FleetProcess], specs: list[SocketSpec], concurrency: int, deflate: bool
) -> dict[str, Any]:
    """Open `specs`, shared out over `fleets` (all at once); opened, failures, seconds."""
    share = math.ceil(len(specs) / len(fleets))
    start = time.monotonic()
    for i, fleet in enumerate(fleets):
        fleet.begin("connect", specs[i * share : (i + 1) * share], concurrency, deflate)
    results = [f.end() for f in fleets]
    failures: Counter[str] = Counter()
    for result in results:
        failures.update(result["failed"])
    return {
        "opened": sum(r["opened"] for r in results),
        "failed": dict(failures),
        "seconds": time.monotonic() - start,
        "extensions": results[0]["extensions"],
    }


def probe_all(fleets: list[FleetProcess], timeout: float) -> dict[str, Any]:
    """Ping every open socket of `fleets`; how many answered, and the close codes of those
    already closed."""
    closed: Counter[str] = Counter()
    for fleet in fleets:
        closed.update(fleet.call("status")["closed"])
    for fleet in fleets:
        fleet.begin("probe", timeout)
    probes = [f.end() for f in fleets]
    return {
        "pinged": sum(p["pinged"] for p in probes),
        "answered": sum(p["answered"] for p in probes),
        "seconds": max(p["seconds"] for p in probes),
        "closed": dict(closed),
    }


@dataclass
class Idle:
    """Idle sockets: opened, then held; the server's RSS before and after."""

    requested: int
    opened: int
    failed: dict[str, int]
    connect_s: float
    rss_before_mib: float
    rss_after_mib: float
    answered: int = 0
    probe_s: float = 0.0
    closed: dict[str, int] = field(default_factory=dict)  # close code → sockets, before the probe
    note: str = ""

    @property
    def kib_per_socket(self) -> float:
        return (self.rss_after_mib - self.rss_before_mib) * 1024 / self.opened

    def summary(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "opened": self.opened,
            "failed": self.failed,
            "connect_s": round(self.connect_s, 2),
            "connects_per_s": round(self.opened / self.connect_s, 1),
            "answered_ping": self.answered,
            "probe_s": round(self.probe_s, 2),
            "closed_by_server_before_probe": self.closed,
            "rss_before_mib": round(self.rss_before_mib, 1),
            "rss_after_mib": round(self.rss_after_mib, 1),
            "kib_per_socket": round(self.kib_per_socket, 1),
            "how": self.note,
        }


def report_idle(report: Report, plan: Plan, idle: Idle) -> None:
    held = idle.answered >= plan.idle
    full_size = plan.idle >= GOAL_IDLE_SOCKETS
    report.add(
        "idle visitor sockets held (answered a ping)",
        f"{idle.answered:,} / {plan.idle:,}",
        f"{GOAL_IDLE_SOCKETS:,} on one node",
        (True if full_size else None) if held else False,
    )
    report.add(
        "idle sockets: connects/s (handshake + token check)", f"{idle.opened / idle.connect_s:,.0f}"
    )
    report.add(
        "server RSS before → after the idle sockets",
        f"{idle.rss_before_mib:.0f} → {idle.rss_after_mib:.0f} MiB",
    )
    report.add("server memory per idle socket", f"{idle.kib_per_socket:.1f} KiB")
    report.notes.append(f"Idle sockets: {idle.note}")
    if idle.failed:
        report.notes.append(f"Idle connect failures: {idle.failed}")
    if idle.closed:
        report.notes.append(
            f"Idle sockets the server closed before the probe (code: n): {idle.closed}"
        )


def idle_separate(plan: Plan, tokens: list[str], fleets: list[FleetProcess], deflate: bool) -> Idle:
    """A fresh server: warm it with a few sockets, read RSS, open `plan.idle` more, hold them,
    read RSS again, ping them all."""
    server = product_start(plan.workers)
    try:
        warm = visitor_specs(server.port, [[t, None] for t in tokens[:20]])
        connect_all(fleets[:1], warm, 10, deflate)
        time.sleep(0.5)
        before = server.rss_mib()
        specs = visitor_specs(server.port, [[t, None] for t in tokens[20 : 20 + plan.idle]])
        log(f"  opening {len(specs):,} idle visitor sockets")
        opened = connect_all(fleets, specs, 50, deflate)
        log(f"  opened {opened['opened']:,} in {opened['seconds']:.1f} s; holding")
        time.sleep(plan.idle_hold_s)
        after = server.rss_mib()
        probe = probe_all(fleets, 60.0)
        answered = probe["answered"] - len(warm)
        closed = probe["closed"]
        for fleet in fleets:
            fleet.call("close_all")
    finally:
        server.stop()
    return Idle(
        requested=plan.idle,
        opened=opened["opened"],
        failed=opened["failed"],
        connect_s=opened["seconds"],
        rss_before_mib=before,
        rss_after_mib=after,
        answered=answered,
        probe_s=probe["seconds"],
        closed=closed,
        note=(
            f"{plan.idle:,} visitor sockets on a server of their own (after 20 warm-up ones), "
            f"held {plan.idle_hold_s:g} s, then each pinged."
        ),
    )
