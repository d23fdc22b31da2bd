"""The load generator of bench/realtime.py: client sockets (visitors, operators, idle ones) in
asyncio processes of their own, driven from the parent through a pipe."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
import signal
import time
import uuid
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from _processes import raise_nofile, rss_mib

COMPANY_HOST = "demo.localhost"
WIDGET_HOST = "localhost"
PING_EVERY_S = 20.0  # the server closes sockets silent for 70 s; browsers ping every 25 s
CLIENT_ID = re.compile(r'"client_id":"([0-9a-f-]{36})"')
FRAME_TYPE = re.compile(r'"type":"([a-z._]+)"')


@dataclass
class SocketSpec:
    url: str  # its host is the virtual host (Host header); the TCP connection goes to `port`
    port: int
    origin: str
    cookie: str = ""
    operator: bool = False
    conversation_id: int | None = None  # visitors that send
    # A visitor of the product: its token is traded for a one-time ticket right before each
    # connect (POST /widget/v1/tickets), as the widget does; the ticket goes into the URL.
    token: str = ""


@dataclass
class Sock:
    spec: SocketSpec
    ws: Any
    index: int  # among the fleet's operator sockets, else -1
    open: bool = True
    close_code: int | None = None
    pong_at: float = 0.0  # when the last pong came (time.monotonic)


class Fleet:
    """Client sockets of one generator process: connect, send at a rate, record what arrives.

    Operator sockets record each `message.created` by client id: the first and last arrival
    (CLOCK_MONOTONIC, comparable across processes), and the frames per operator socket.
    Visitor sockets record their `message.ack`s.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._reset()

    def _reset(self) -> None:
        """No sockets, nothing recorded."""
        self.socks: list[Sock] = []
        self.operators = 0
        # client id → [first_ns, last_ns, frames, distinct operators, frames per operator]
        self.arrivals: dict[str, list[Any]] = {}
        self.acks: dict[str, int] = {}
        self.types: Counter[str] = Counter()
        self.errors: list[str] = []
        self.pongs = 0
        self.sample = ""  # one operator `message.created` frame, as it came
        self.last_frame = time.monotonic()
        self.pinger: asyncio.Task[None] | None = None
        self.readers: set[asyncio.Task[None]] = set()

    # connecting and closing

    async def _ticket(self, spec: SocketSpec) -> str:
        """A one-time ticket for a visitor socket, from the server under test."""
        import httpx

        if getattr(self, "_http", None) is None:
            self._http = httpx.AsyncClient(timeout=60, trust_env=False)
        host = spec.url.split("/")[2]
        answer = await self._http.post(
            f"http://127.0.0.1:{spec.port}/widget/v1/tickets",
            headers={
                "Host": host,
                "Origin": spec.origin,
                "Authorization": f"Bearer {spec.token}",
            },
        )
        answer.raise_for_status()
        return str(answer.json()["ticket"])

    async def connect(
        self, specs: list[SocketSpec], concurrency: int, deflate: bool
    ) -> dict[str, Any]:
        from websockets.asyncio.client import connect

        failures: Counter[str] = Counter()
        queue = list(reversed(specs))
        start = time.monotonic()
        if self.pinger is None:  # from the first socket on: the server closes silent ones
            self.pinger = asyncio.create_task(self._ping_forever())

        async def opener() -> None:
            while queue:
                spec = queue.pop()
                try:
                    url = spec.url
                    if spec.token:
                        url += f"?ticket={await self._ticket(spec)}"
                    ws = await connect(
                        url,
                        host="127.0.0.1",
                        port=spec.port,
                        proxy=None,
                        origin=spec.origin,  # type: ignore[arg-type]
                        additional_headers={"Cookie": spec.cookie} if spec.cookie else None,
                        compression="deflate" if deflate else None,
                        ping_interval=None,
                        max_queue=256,
                        open_timeout=60,
                    )
                except Exception as exc:
                    failures[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                    continue
                index = -1
                if spec.operator:
                    index, self.operators = self.operators, self.operators + 1
                sock = Sock(spec, ws, index)
                self.socks.append(sock)
                task = asyncio.create_task(self._read(sock))
                self.readers.add(task)
                task.add_done_callback(self.readers.discard)

        await asyncio.gather(*(opener() for _ in range(concurrency)))
        extensions = (
            [type(e).__name__ for e in self.socks[0].ws.protocol.extensions] if self.socks else []
        )
        return {
            "opened": len(specs) - sum(failures.values()),
            "failed": dict(failures),
            "seconds": time.monotonic() - start,
            "extensions": extensions,
        }

    async def close_all(self) -> dict[str, Any]:
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        socks, self.socks = self.socks, []
        for i in range(0, len(socks), 200):
            await asyncio.gather(
                *(s.ws.close() for s in socks[i : i + 200]), return_exceptions=True
            )
        for task in list(self.readers):
            task.cancel()
        self._reset()
        return {"closed": len(socks)}

    def status(self) -> dict[str, Any]:
        codes = Counter(str(s.close_code) for s in self.socks if not s.open)
        return {
            "open": sum(s.open for s in self.socks),
            "closed": dict(codes),
            "types": dict(self.types),
            "errors": self.errors[:5],
            "sample_frame": self.sample,
            "cpu_s": sum(os.times()[:2]),
            "rss_mib": rss_mib(os.getpid()),
        }

    # what arrives

    async def _read(self, sock: Sock) -> None:
        from websockets.exceptions import ConnectionClosed

        arrivals, acks, types = self.arrivals, self.acks, self.types
        try:
            async for raw in sock.ws:
                now = time.monotonic_ns()
                text = raw if isinstance(raw, str) else raw.decode()
                kind_match = FRAME_TYPE.match(text, 1)
                kind = kind_match.group(1) if kind_match else "?"
                types[kind] += 1
                if kind == "message.created" and sock.index >= 0:
                    self.last_frame = time.monotonic()
                    self.sample = self.sample or text
                    found = CLIENT_ID.search(text)
                    if found is None:
                        continue
                    record = arrivals.get(found.group(1))
                    if record is None:
                        record = arrivals[found.group(1)] = [now, now, 0, 0, Counter()]
                    record[1] = now
                    record[2] += 1
                    per = record[4]
                    if per[sock.index] == 0:
                        record[3] += 1
                    per[sock.index] += 1
                elif kind == "message.ack":
                    found = CLIENT_ID.search(text)
                    if found is not None:
                        acks.setdefault(found.group(1), now)
                elif kind == "pong":
                    self.pongs += 1
                    sock.pong_at = time.monotonic()
                elif kind == "error" and len(self.errors) < 20:
                    self.errors.append(text[:200])
        except ConnectionClosed:
            pass
        finally:
            sock.open = False
            sock.close_code = sock.ws.close_code

    async def _ping_forever(self) -> None:
        """Each socket pings every PING_EVERY_S, the pings spread evenly over that interval
        (as browsers that opened at different moments do), never in one burst."""
        tick, owed, turn = 0.05, 0.0, 0
        while True:
            await asyncio.sleep(tick)
            socks = self.socks
            if not socks:
                continue
            owed += len(socks) * tick / PING_EVERY_S
            while owed >= 1:
                owed -= 1
                sock = socks[turn % len(socks)]
                turn += 1
                if sock.open:
                    with suppress(Exception):
                        await sock.ws.send('{"type":"ping"}')

    async def _ping_all(self) -> int:
        sent = 0
        for i, sock in enumerate(list(self.socks)):
            if sock.open:
                with suppress(Exception):
                    await sock.ws.send('{"type":"ping"}')
                    sent += 1
            if i % 100 == 99:
                await asyncio.sleep(0)
        return sent

    async def probe(self, timeout: float) -> dict[str, Any]:
        """Ping every open socket; how many sockets answer within `timeout`."""
        start = time.monotonic()
        sent = await self._ping_all()

        def answered() -> int:
            return sum(s.pong_at > start for s in self.socks)

        while answered() < sent and time.monotonic() - start < timeout:
            await asyncio.sleep(0.1)
        return {"pinged": sent, "answered": answered(), "seconds": time.monotonic() - start}

    # load

    async def send(self, rate: float, duration: float, tag: str) -> dict[str, Any]:
        """`message.send` at `rate` per second for `duration`, round-robin over the visitors
        that have a conversation. The send time is taken just before the frame is written."""
        senders = [s for s in self.socks if s.open and s.spec.conversation_id is not None]
        total = round(rate * duration)
        sent: list[tuple[str, int]] = []
        dumps = json.JSONEncoder(separators=(",", ":")).encode
        start = time.monotonic()
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif n % 50 == 0:
                await asyncio.sleep(0)  # behind schedule: let the readers run now and then
            sock = senders[n % len(senders)]
            client_id = str(uuid.uuid4())
            frame = dumps(
                {
                    "type": "message.send",
                    "conversation_id": sock.spec.conversation_id,
                    "body": f"bench {tag} {n}",
                    "client_id": client_id,
                }
            )
            t_sent = time.monotonic_ns()
            try:
                await sock.ws.send(frame)
            except Exception as exc:
                if len(self.errors) < 20:
                    self.errors.append(f"send: {exc!r}")
                continue
            sent.append((client_id, t_sent))
        return {"sent": sent, "seconds": time.monotonic() - start, "planned": total}

    async def collect(
        self, client_ids: list[str], expect: int, timeout: float, quiet: float
    ) -> dict[str, Any]:
        """Wait until every message reached `expect` operators (or nothing arrived for `quiet`
        seconds, or `timeout`), then hand over their records and forget all records."""
        start = time.monotonic()
        pending = list(client_ids)
        while pending:
            pending = [c for c in pending if c not in self.arrivals or self.arrivals[c][3] < expect]
            now = time.monotonic()
            if not pending or now - start > timeout or now - self.last_frame > quiet:
                break
            await asyncio.sleep(0.02)
        records = {
            c: [*self.arrivals[c][:4], max(self.arrivals[c][4].values())]
            for c in client_ids
            if c in self.arrivals
        }
        stray = len(self.arrivals) - len(records)
        self.arrivals.clear()  # cleared in place: the readers hold the dict
        return {"records": records, "stray": stray, "waited": time.monotonic() - start}

    async def settle(self, quiet: float, timeout: float) -> float:
        """Wait until no operator frame arrived for `quiet` seconds; the seconds waited."""
        start = time.monotonic()
        while time.monotonic() - self.last_frame < quiet and time.monotonic() - start < timeout:
            await asyncio.sleep(0.05)
        self.arrivals.clear()
        return time.monotonic() - start

    def take_acks(self, client_ids: list[str]) -> list[int | None]:
        found = [self.acks.get(c) for c in client_ids]
        self.acks.clear()
        return found


def fleet_main(conn: Connection, name: str) -> None:
    """A generator process: runs the Fleet's commands as they come through the pipe."""
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        import uvloop
    except ImportError:
        asyncio.run(_fleet_serve(conn, name))
    else:
        uvloop.run(_fleet_serve(conn, name))


async def _fleet_serve(conn: Connection, name: str) -> None:
    fleet = Fleet(name)
    while True:
        command, args = await asyncio.to_thread(conn.recv)
        if command == "exit":
            await fleet.close_all()
            conn.send((True, None))
            return
        try:
            result = getattr(fleet, command)(*args)
            if asyncio.iscoroutine(result):
                result = await result
            conn.send((True, result))
        except Exception as exc:  # reported to the parent, which raises it
            conn.send((False, f"{name}.{command}: {exc!r}"))


class FleetProcess:
    """The parent's handle on a generator process."""

    def __init__(self, name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=fleet_main, args=(child, name), name=name, daemon=True)
        self.proc.start()
        self.name = name

    @property
    def pid(self) -> int:
        return int(self.proc.pid or 0)

    def begin(self, command: str, *args: Any) -> None:
        self.conn.send((command, args))

    def end(self) -> Any:
        ok, result = self.conn.recv()
        if not ok:
            raise RuntimeError(result)
        return result

    def call(self, command: str, *args: Any) -> Any:
        self.begin(command, *args)
        return self.end()

    def stop(self) -> None:
        if self.proc.is_alive():
            with suppress(Exception):
                self.call("exit")
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.terminate()


def visitor_specs(
    port: int, visitors: list[list[Any]], *, tickets: bool = True
) -> list[SocketSpec]:
    """Visitor sockets. The product's open with a one-time ticket fetched just before each
    connect; the bare relay (`tickets=False`) reads nothing from the URL."""
    return [
        SocketSpec(
            f"ws://{WIDGET_HOST}:{port}/ws/widget/",
            port,
            f"http://{WIDGET_HOST}",
            conversation_id=conversation_id,
            token=token if tickets else "",
        )
        for token, conversation_id in visitors
    ]


def operator_specs(port: int, sessions: list[str]) -> list[SocketSpec]:
    return [
        SocketSpec(
            f"ws://{COMPANY_HOST}:{port}/ws/panel/",
            port,
            f"http://{COMPANY_HOST}:{port}",  # a browser's Origin names the port
            cookie=f"msid={key}",
            operator=True,
        )
        for key in sessions
    ]
