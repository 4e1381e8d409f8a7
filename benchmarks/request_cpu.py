"""CPU per API request, measured in-process: what contention on a shared machine does not
distort (latency under load does).

Sets up the bookings benchmark's gym (benchmarks/bookings.py: 2,000 members with app
session tokens, a 200-class week) in a database of its own (bench_request_cpu, made
afresh and dropped at the end), then sends requests one after another through Django's
test Client (the whole middleware stack, DRF, authentication, throttling, rendering; no
HTTP server) and prints, per request:

    py ms    CPU of this process (Django, DRF, the view; the test Client's own work is
             included: compare rows with each other, not with gunicorn's figures)
    db ms    CPU of the PostgreSQL backend serving this process's connection
    redis ms CPU of the redis-server (sessions, throttling, the timetable cache)

for:
    bare               a plain Django view (middleware + tenant lookup): the baseline
    drf                /bench/drf/: DRF with the API's defaults (X-Session-Token
                       authentication, IsAuthenticated, throttles), no query of its own
    timetable          GET /api/v1/classes/sessions/?from=<monday>&to=<sunday> with the
                       timetable cache off (BOOKINGS_TIMETABLE_CACHE_SECONDS=0)
    timetable cached   the same with the cache on (the default)

`--profile NAME` prints cProfile's top functions for that scenario instead of timing it
(`--sort tottime|cumulative`).

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.request_cpu
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from datetime import timedelta

from benchmarks.api import HOST
from benchmarks.common import (
    database_drop,
    database_recreate,
    django_setup,
    load_note,
    steal_seconds,
    table,
)

DB_NAME = "bench_request_cpu"
TICK = os.sysconf("SC_CLK_TCK")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    parser.add_argument("--only", help="comma-separated scenarios to run (default: all)")
    parser.add_argument("--profile", help="profile this scenario instead of timing it")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=40, help="functions the profile lists")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    return parser.parse_args()


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def redis_pid() -> int | None:
    from django.conf import settings

    port = settings.CACHES["default"]["LOCATION"].rsplit(":", 1)[1].split("/")[0]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "redis-server" in cmd and f":{port}" in cmd or f"--port {port}" in cmd:
            return int(entry)
    return None


def main() -> int:
    args = parse_args()
    print(f"Request CPU: database {DB_NAME}; {load_note()}", flush=True)
    if args.reuse:
        from benchmarks.common import bench_database_url

        db_url = bench_database_url(DB_NAME)
    else:
        db_url = database_recreate(DB_NAME)
    os.environ.setdefault("BENCH_CONN_MAX_AGE", "600")
    django_setup(db_url)
    try:
        return run(args)
    finally:
        if not args.keep:
            database_drop(DB_NAME)


def run(args: argparse.Namespace) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    import benchmarks.bookings as bookings_bench

    bookings_bench.DB_NAME = DB_NAME
    if args.reuse:
        data = reuse_gym()
    else:
        began = time.perf_counter()
        data = bookings_bench.setup_gym()
        print(f"set-up: {time.perf_counter() - began:.1f} s", flush=True)
    connection.set_schema_to_public()
    monday = data["monday"]
    token = data["tokens"][1]
    # The member of token 1 holds a booking in the week (annotated on its row).
    book = Client(HTTP_HOST=HOST, HTTP_X_SESSION_TOKEN=token).post(
        f"/api/v1/classes/sessions/{data['sessions'][0]}/book/",
        content_type="application/json",
        data="{}",
    )
    if book.status_code not in (201, 409):
        raise SystemExit(f"booking answered {book.status_code}: {book.content[:300]!r}")
    timetable = f"/api/v1/classes/sessions/?from={monday}&to={monday + timedelta(days=6)}"
    scenarios = {
        "bare": ("/bench/bare/", {}, None),
        "drf": ("/bench/drf/", {"HTTP_X_SESSION_TOKEN": token}, None),
        "timetable": (timetable, {"HTTP_X_SESSION_TOKEN": token}, 0),
        "timetable cached": (timetable, {"HTTP_X_SESSION_TOKEN": token}, 60),
    }
    redis = redis_pid()
    rows = []
    for name, (path, headers, cache_seconds) in scenarios.items():
        if args.profile and name != args.profile:
            continue
        if args.only and name not in args.only.split(","):
            continue
        client = Client(HTTP_HOST=HOST, **headers)
        settings_cm = (
            override_settings(BOOKINGS_TIMETABLE_CACHE_SECONDS=cache_seconds)
            if cache_seconds is not None
            else override_settings()
        )
        with settings_cm:
            for _ in range(args.warmup):
                response = client.get(path)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
            if args.profile:
                profiler = cProfile.Profile(time.process_time)  # CPU, not waits
                profiler.enable()
                for _ in range(args.requests):
                    client.get(path)
                profiler.disable()
                stats = pstats.Stats(profiler)
                stats.sort_stats(args.sort).print_stats(args.lines)
                continue
            backend = connection.cursor().connection.info.backend_pid
            best = None
            for _ in range(args.rounds):
                py0, db0 = time.process_time(), proc_cpu(backend)
                rd0 = proc_cpu(redis) if redis else 0.0
                steal0 = steal_seconds()
                wall0 = time.perf_counter()
                for _ in range(args.requests):
                    client.get(path)
                wall = time.perf_counter() - wall0
                py, db = time.process_time() - py0, proc_cpu(backend) - db0
                rd = (proc_cpu(redis) - rd0) if redis else 0.0
                n = args.requests
                figures = (1000 * (py + db + rd) / n, 1000 * py / n, 1000 * db / n, 1000 * rd / n)
                figures += (1000 * wall / n, 100 * (steal_seconds() - steal0) / wall)
                if best is None or figures[0] < best[0]:
                    best = figures
        if best is not None:
            total, py, db, rd, wall, steal = best
            figures = (py, db, rd, total, wall)
            rows.append([name, *(f"{x:.2f}" for x in figures), f"{steal:.0f}%"])
    if rows:
        print()
        print(
            f"{args.requests} requests per round, best of {args.rounds} rounds "
            f"(after {args.warmup} warm-up requests), one after another, in-process"
        )
        print(
            table(["scenario", "py ms", "db ms", "redis ms", "total ms", "wall ms", "steal"], rows)
        )
        print(
            "py: this process's CPU per request (test Client included); db: the PostgreSQL "
            "backend's; redis: redis-server's; wall: elapsed per request; steal: CPU the "
            "hypervisor took during that round, % of one CPU (CPU figures are inflated when "
            "it is high)."
        )
    print(load_note())
    return 0


def reuse_gym() -> dict:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.contrib.sessions.models import Session
    from django_tenants.utils import tenant_context

    from apps.bookings.models import ClassSession
    from apps.tenants.models import Gym
    from benchmarks.bookings import ZONE

    gym = Gym.objects.get(slug="bench")
    today = datetime.now(ZoneInfo(ZONE)).date()
    monday = today + timedelta(days=7 - today.weekday())
    with tenant_context(gym):
        sessions = list(ClassSession.objects.order_by("id").values_list("id", flat=True))
        tokens = list(Session.objects.order_by("expire_date").values_list("session_key", flat=True))
    return {"gym": gym, "tokens": tokens, "sessions": sessions, "monday": monday}


if __name__ == "__main__":
    sys.exit(main())
