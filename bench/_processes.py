"""Processes under a benchmark: CPU and memory from /proc, the PostgreSQL backends of a
database, and a server subprocess on a port that is stopped with its workers."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from _stack import REPO_DIR


def raise_nofile() -> None:
    """Open-file limit up to the hard limit: every socket is a file descriptor."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used (every core), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU use of named groups of processes over a window, in cores (1.0 = one core busy),
    and `other`: what the rest of the machine used meanwhile (other people's work too)."""

    def __init__(self, groups: Callable[[], dict[str, list[int]]]) -> None:
        self.groups = groups
        self._start: dict[str, dict[int, float]] = {}
        self._t0 = self._machine0 = 0.0

    def start(self) -> None:
        self._t0, self._machine0 = time.monotonic(), machine_busy_seconds()
        self._start = {
            name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in self.groups().items()
        }

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._t0
        used = {  # a process gone meanwhile (a recycled database connection) counts as 0
            name: sum(max(0.0, cpu_seconds(pid) - before) for pid, before in pids.items()) / wall
            for name, pids in self._start.items()
        }
        machine = (machine_busy_seconds() - self._machine0) / wall
        used["other"] = max(0.0, machine - sum(used.values()))
        return {name: round(value, 2) for name, value in used.items()}


def backend_pids(params: dict[str, Any], name: str) -> list[int]:
    """PostgreSQL backends connected to the bench database (the server's connections)."""
    import psycopg

    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
            ).fetchall()
    except psycopg.Error:
        return []
    return [int(pid) for (pid,) in rows if Path(f"/proc/{pid}").exists()]


class Server:
    """A server subprocess (uvicorn with the product, or the relay) on a free port."""

    def __init__(self, name: str, command: list[str], port: int) -> None:
        self.name, self.port = name, port
        fd, self.log_path = tempfile.mkstemp(prefix=f"bench-rt-{name}-", suffix=".log")
        try:
            self.proc = subprocess.Popen(
                command,
                cwd=REPO_DIR,
                env=os.environ.copy(),
                stdout=fd,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile,
                start_new_session=True,  # its workers are stopped with it, as a group
            )
        finally:
            os.close(fd)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo += [int(child) for child in task.read_text().split()]
                except OSError:
                    continue
        return found

    def rss_mib(self) -> float:
        """Resident memory of the server and its workers."""
        return sum(rss_mib(pid) for pid in self.pids() if Path(f"/proc/{pid}").exists())

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.tail()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen within {timeout} s: {self.tail()}")

    def tail(self, lines: int = 30) -> str:
        text = Path(self.log_path).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (SIGKILL after 5 s); `kill`: at once, when a backlog need not drain. The
        whole process group, so no worker outlives its server."""
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with suppress(OSError):
            os.unlink(self.log_path)
