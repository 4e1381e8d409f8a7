"""What both benchmarks share: a database of their own, Django set-up, small statistics."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "benchmarks.settings"


def _admin_connect(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def bench_database_url(name: str) -> str:
    """DATABASE_URL pointed at database `name` on the same server."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit(
            "DATABASE_URL is not set: run through the embedded services, e.g.\n"
            "  .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks"
        )
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def database_recreate(name: str) -> str:
    """Drop and create database `name`; return its URL. Never touches another database."""
    from psycopg import sql

    url = bench_database_url(name)
    with _admin_connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


def database_drop(name: str) -> None:
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    with _admin_connect(bench_database_url(name)) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def django_setup(database_url: str) -> None:
    """Point Django at the benchmark database (before it reads settings) and set it up."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def load_note() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [
            str(c).rjust(w) if i else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells))
    return "\n".join(lines)


# --- Other load on the machine -------------------------------------------------------
# Figures from a shared 2-core machine mean little without knowing what else ran: this
# counts the CPU that processes outside the benchmark used while it measured.

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[int, int, float, str, int]]:
    """pid -> (ppid, start time, CPU seconds, command line, process group), from /proc."""
    table = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ppid, pgrp, utime, stime, start = (
            int(fields[1]),
            int(fields[2]),
            int(fields[11]),
            int(fields[12]),
            int(fields[19]),
        )
        table[int(entry)] = (ppid, start, (utime + stime) / _TICK, cmdline, pgrp)
    return table


def server_cpu(pgrp: int, database: str) -> tuple[float, float]:
    """CPU seconds used so far by (the processes of group `pgrp`, the PostgreSQL backends
    of `database`) that are alive now: take the difference of two readings."""
    app = db = 0.0
    for _ppid, _start, cpu, cmd, group in _processes().values():
        if group == pgrp:
            app += cpu
        elif f" {database} " in cmd:
            db += cpu
    return app, db


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other guests (all CPUs), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


class OtherCpu:
    """CPU seconds used by processes that are not the benchmark's: not descended from the
    command that started it (devstack exec: this script, its servers, Redis), not a
    PostgreSQL backend of its database, not a kernel thread. Processes that start and end
    between two readings are missed, so this is a lower bound."""

    def __init__(self, database: str):
        self.database = database
        self.root = os.getppid()
        self.start = _processes()
        self.steal = steal_seconds()
        self.began = time.monotonic()

    def _ours(self, table: dict) -> set[int]:
        ours = {self.root, os.getpid(), 2}
        changed = True
        while changed:
            changed = False
            for pid, (ppid, *_rest) in table.items():
                if pid not in ours and ppid in ours:
                    ours.add(pid)
                    changed = True
        ours.update(pid for pid, row in table.items() if f" {self.database} " in row[3])
        return ours

    def usage(self) -> dict[str, float]:
        """CPU seconds per command line of the other processes, since this object was made."""
        end = _processes()
        ours = self._ours(end)
        used: dict[str, float] = {}
        for pid, (_ppid, start, cpu, cmd, _group) in end.items():
            if pid in ours:
                continue
            before = self.start.get(pid)
            delta = cpu - before[2] if before and before[1] == start else cpu
            if delta > 0:
                key = " ".join(cmd.split()[:4])[:70] or f"pid {pid}"
                used[key] = used.get(key, 0.0) + delta
        return used

    def seconds(self) -> float:
        return sum(self.usage().values())

    def percent(self) -> float:
        """Of one CPU, over the time since this object was made."""
        return 100 * self.seconds() / max(time.monotonic() - self.began, 1e-9)

    def steal_percent(self) -> float:
        """CPU stolen by the hypervisor, in % of one CPU, since this object was made."""
        wall = max(time.monotonic() - self.began, 1e-9)
        return 100 * (steal_seconds() - self.steal) / wall

    def top(self, n: int = 3) -> str:
        """The biggest other users, in % of one CPU since this object was made."""
        wall = max(time.monotonic() - self.began, 1e-9)
        usage = sorted(self.usage().items(), key=lambda kv: -kv[1])[:n]
        return "; ".join(f"{100 * cpu / wall:.0f}% {cmd}" for cmd, cpu in usage) or "none"


def run_in_fresh_database(name: str, args, run) -> int:
    """`run(args, db_url)` against a database made afresh (migrated, Django set up), which
    is dropped afterwards unless `args.keep`."""
    db_url = database_recreate(name)
    django_setup(db_url)
    try:
        return run(args, db_url)
    finally:
        if not args.keep:
            database_drop(name)


def start_worker(
    concurrency: int, db_url: str, logdir: Path, loglevel: str = "warning"
) -> subprocess.Popen:
    """A Celery worker as `make run` starts it (prefork), on the benchmark's database,
    logging to logdir/celery.log, which benchmarks read while it runs. Celery writes that
    file itself (--logfile): with the processes' stdout redirected there instead, lines
    of the pool's processes went missing (10 of 60 tick lines); stdout (the console email
    backend's mails) goes to logdir/stdout.log."""
    env = dict(
        os.environ, DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE=SETTINGS, PYTHONUNBUFFERED="1"
    )
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork"]
    command += ["--concurrency", str(concurrency), "--loglevel", loglevel]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    command += ["--logfile", str(logdir / "celery.log")]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=(logdir / "stdout.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
