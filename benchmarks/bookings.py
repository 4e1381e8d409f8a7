"""Class timetable and booking under load, served the way production serves it.

Sets up a gym (`bench.localhost`, Europe/Madrid) in a database of its own (bench_bookings,
made afresh and dropped at the end) with 2,000 members (each with an app session token),
5 trainers, 3 rooms, 10 class types and 200 classes in one week (plus 50 in the week
after, to compare query counts). Serves the app with gunicorn (2 sync workers, persistent
database connections: the production HTTP topology, as benchmarks/api.py does) and drives
20 concurrent HTTP/1.1 clients against:

    bare       a plain Django view (middleware + tenant lookup): the baseline
    book-hot   POST /api/v1/classes/sessions/{id}/book/: 2,000 members booking 10 classes
               of 20 places (200 requests per class: all contend for one row lock;
               20 booked + 180 waitlisted each)
    book-all   the same 2,000 members each booking one of the 200 classes
    timetable  GET /api/v1/classes/sessions/?from=<monday>&to=<sunday> (200 classes, with
               booked/waitlist counts and the member's own booking), with the timetable
               cache off (BOOKINGS_TIMETABLE_CACHE_SECONDS=0: the database path)
    timetable cached   the same with the cache on (the default)

After the load it checks that no class is overbooked and no member holds two places in one
class, and counts SQL queries per timetable request (in-process) for the 200-class week and
the 50-class week: the number must be the same.

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.bookings

Target: timetable p95 < 150 ms at 20 clients; constant query count.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import signal
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import benchmarks.api as api_bench
from benchmarks.api import (
    HOST,
    PASSWORD,
    SLUG,
    Connection,
    Result,
    floor_ms,
    http_call,
    load,
    raw_get,
    start_server,
)
from benchmarks.common import (
    OtherCpu,
    load_note,
    percentile,
    run_in_fresh_database,
    server_cpu,
    table,
)

DB_NAME = "bench_bookings"
api_bench.DB_NAME = DB_NAME  # api.load() measures the CPU of this database's backends
ZONE = "Europe/Madrid"
MEMBERS = 2000
CLASSES_WEEK = 200
CLASSES_NEXT_WEEK = 50
HOT_CLASSES = 10
CAPACITY = 20
TARGET_TIMETABLE_P95_MS = 150.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of GET load")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--single", type=float, default=3.0, help="seconds of the 1-client runs")
    parser.add_argument("--keep", action="store_true", help="keep the bench_bookings database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args()


# --- Data ---------------------------------------------------------------------------


def setup_gym() -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.accounts.roles import Role
    from apps.bookings.models import BookingPolicy, ClassSession, ClassType, Room, TrainerProfile
    from apps.members.models import Member, MemberStatus
    from apps.tenants.services import gym_create

    call_command("migrate_schemas", interactive=False, verbosity=0)
    gym = gym_create(
        name="Bench Gym",
        slug=SLUG,
        owner_email=f"owner@{HOST}",
        owner_password=PASSWORD,
        owner_name="Bench Owner",
        time_zone=ZONE,
    )
    rng = random.Random(7)
    zone = ZoneInfo(ZONE)
    with tenant_context(gym):
        users = User.objects.bulk_create(
            [User(email=f"m{n}@{HOST}", role=Role.MEMBER) for n in range(1, MEMBERS + 1)],
            batch_size=1000,
        )
        members = Member.objects.bulk_create(
            [
                Member(
                    number=n,
                    user=user,
                    first_name=f"M{n}",
                    last_name="Bench",
                    email=user.email,
                    status=MemberStatus.ACTIVE,
                    tier="pro_plus",
                )
                for n, user in enumerate(users, start=1)
            ],
            batch_size=1000,
        )
        tokens = []
        for user in users:
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            tokens.append(session.session_key)
        policy = BookingPolicy.load()
        policy.opens_days_before = 21
        policy.max_per_day = 10
        policy.save()
        rooms = [Room.objects.create(name=f"Room {i}", capacity=40) for i in range(3)]
        trainers = [
            TrainerProfile.objects.create(
                user=User.objects.create(email=f"t{i}@{HOST}", role=Role.TRAINER),
                display_name=f"Trainer {i}",
            )
            for i in range(5)
        ]
        types = [
            ClassType.objects.create(name=f"Class type {i}", capacity=CAPACITY, room=rooms[i % 3])
            for i in range(10)
        ]
        today = datetime.now(zone).date()
        monday = today + timedelta(days=7 - today.weekday())  # next week: all bookable

        def week(first_day, count):
            sessions = []
            for i in range(count):
                day = first_day + timedelta(days=i % 7)
                start = datetime(day.year, day.month, day.day, 6 + (i // 7) % 16, 0, tzinfo=zone)
                start += timedelta(minutes=5 * (i // 112))  # keep times distinct
                sessions.append(
                    ClassSession(
                        class_type=types[i % 10],
                        instructor=trainers[i % 5],
                        room=rooms[i % 3],
                        starts_at=start,
                        ends_at=start + timedelta(hours=1),
                        capacity=CAPACITY,
                    )
                )
            return ClassSession.objects.bulk_create(sessions)

        this_week = week(monday, CLASSES_WEEK)
        week(monday + timedelta(days=7), CLASSES_NEXT_WEEK)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    rng.shuffle(this_week)
    return {
        "gym": gym,
        "tokens": tokens,
        "member_ids": [m.pk for m in members],
        "sessions": [s.pk for s in this_week],
        "monday": monday,
    }


def queries_per_timetable(token: str, monday) -> dict[str, int]:
    """SQL queries of a warm timetable request, for the 200-class and the 50-class week,
    without and with the timetable cache."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST=HOST, HTTP_X_SESSION_TOKEN=token)
    counts = {}
    for mode, seconds in (("uncached", 0), ("cached", 60)):
        for label, first in (
            (f"{CLASSES_WEEK} classes", monday),
            (f"{CLASSES_NEXT_WEEK} classes", monday + timedelta(days=7)),
        ):
            path = f"/api/v1/classes/sessions/?from={first}&to={first + timedelta(days=6)}"
            with override_settings(BOOKINGS_TIMETABLE_CACHE_SECONDS=seconds):
                client.get(path)
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"in-process GET {path} answered {response.status_code}")
            rows = len(response.json()["results"])
            counts[f"{mode} {label} ({rows} rows)"] = len(captured.captured_queries)
    connection.set_schema_to_public()
    return counts


def verify(data: dict) -> list[str]:
    """No class over capacity; no member twice in a class; waitlists numbered densely."""
    from django.db.models import Count, Q
    from django_tenants.utils import tenant_context

    from apps.bookings.models import Booking, ClassSession

    problems = []
    with tenant_context(data["gym"]):
        over = ClassSession.objects.annotate(
            booked=Count("bookings", filter=Q(bookings__status="booked"))
        ).filter(booked__gt=CAPACITY)
        if over.exists():
            problems.append(f"{over.count()} classes overbooked")
        twice = (
            Booking.objects.filter(status__in=["booked", "waitlisted"])
            .values("member", "session")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        if twice.exists():
            problems.append(f"{twice.count()} members hold two places in one class")
        hot = data["sessions"][:HOT_CLASSES]
        full = ClassSession.objects.filter(pk__in=hot).annotate(
            booked=Count("bookings", filter=Q(bookings__status="booked"))
        )
        if any(s.booked != CAPACITY for s in full):
            problems.append("a hot class is not exactly full")
    return problems


# --- Load: a list of distinct requests shared by the clients -------------------------


def raw_post(path: str, token: str, body: bytes = b"{}") -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {HOST}",
        "Accept: application/json",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        f"X-Session-Token: {token}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _drain(port: int, raws: list[bytes], clients: int) -> tuple[Result, collections.Counter]:
    """Send every request once, `clients` at a time; 201 and 409 (a rule said no) count
    as answered, anything else as an error."""
    pending = iter(raws)
    result = Result(0.0)
    outcomes: collections.Counter = collections.Counter()
    start = time.perf_counter()

    async def client() -> None:
        conn = Connection(port)
        for raw in pending:
            began = time.perf_counter()
            try:
                status, body = await conn.request(raw)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                result.errors[type(exc).__name__] += 1
                continue
            if status in (201, 409):
                result.latencies.append(time.perf_counter() - began)
                if status == 201:
                    outcomes["waitlisted" if b'"waitlisted"' in body[:80] else "booked"] += 1
                else:
                    outcomes["refused (409)"] += 1
            else:
                result.errors[status] += 1
                result.samples.setdefault(status, body[:200])
        conn.close()

    cpu = time.process_time()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.seconds = time.perf_counter() - start
    result.client_cpu = (time.process_time() - cpu) / result.seconds
    return result, outcomes


def drain(server, raws: list[bytes], clients: int) -> tuple[Result, collections.Counter]:
    others = OtherCpu(DB_NAME)
    app_before, db_before = server_cpu(server.proc.pid, DB_NAME)
    result, outcomes = asyncio.run(_drain(server.port, raws, clients))
    app_after, db_after = server_cpu(server.proc.pid, DB_NAME)
    result.app_cpu, result.db_cpu = app_after - app_before, db_after - db_before
    result.other_cpu, result.steal = others.percent(), others.steal_percent()
    return result, outcomes


# --- Main ---------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    print(f"Bookings benchmark: database {DB_NAME}, host {HOST}; {load_note()}", flush=True)
    return run_in_fresh_database(DB_NAME, args, run)


def run(args: argparse.Namespace, db_url: str) -> int:
    began = time.perf_counter()
    data = setup_gym()
    print(
        f"set-up ({MEMBERS} members with tokens, {CLASSES_WEEK}+{CLASSES_NEXT_WEEK} classes): "
        f"{time.perf_counter() - began:.1f} s",
        flush=True,
    )
    tokens, sessions, monday = data["tokens"], data["sessions"], data["monday"]
    hot = sessions[:HOT_CLASSES]
    book_path = "/api/v1/classes/sessions/{}/book/"
    scenarios = {
        # Member i books hot class i % 10: 200 requests per class, interleaved.
        "book-hot": [
            raw_post(book_path.format(hot[i % HOT_CLASSES]), t) for i, t in enumerate(tokens)
        ],
        # Member i books class (i + 17) % 200 of the week: spread over every class.
        "book-all": [
            raw_post(book_path.format(sessions[(i + 17) % len(sessions)]), t)
            for i, t in enumerate(tokens)
        ],
    }
    timetable = f"/api/v1/classes/sessions/?from={monday}&to={monday + timedelta(days=6)}"
    rows, outcomes_by = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-bookings-") as tmp:
        # First without the timetable cache (on by default since it is invalidated by
        # every write): the database path, and the booking runs that change the rows.
        os.environ["BOOKINGS_TIMETABLE_CACHE_SECONDS"] = "0"
        server = start_server("gunicorn", args.workers, db_url, True, Path(tmp))
        try:
            status, body = http_call(
                server.port, "GET", timetable, headers={"X-Session-Token": tokens[0]}
            )
            if status != 200 or len(body.get("results", [])) != CLASSES_WEEK:
                raise SystemExit(f"timetable check failed: {status} {str(body)[:300]}")
            bare = raw_get("/bench/bare/", {})
            load(server, bare, args.clients, args.warmup)
            results = {"bare": load(server, bare, args.clients, args.duration)}
            for name, raws in scenarios.items():
                results[name], outcomes_by[name] = drain(server, raws, args.clients)
            # All clients read as one member who holds bookings (annotated on the rows).
            raw = raw_get(timetable, {"X-Session-Token": tokens[1]})
            load(server, raw, args.clients, args.warmup)
            results["timetable"] = load(server, raw, args.clients, args.duration)
            # One client: the latency of a request that never waits behind others.
            single = {
                "bare": load(server, bare, 1, args.single),
                "timetable": load(server, raw, 1, args.single),
            }
        finally:
            server.stop()
            if server.proc.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
                print(f"gunicorn exited with {server.proc.returncode}:\n{server.log_tail()}")
        # The same timetable with the cache of its shared part on (the default).
        os.environ.pop("BOOKINGS_TIMETABLE_CACHE_SECONDS")
        server = start_server("gunicorn", args.workers, db_url, True, Path(tmp))
        try:
            load(server, raw, args.clients, args.warmup)
            results["timetable cached"] = load(server, raw, args.clients, args.duration)
            single["timetable cached"] = load(server, raw, 1, args.single)
        finally:
            server.stop()
    queries = queries_per_timetable(tokens[1], monday)
    problems = verify(data)

    print()
    print(
        f"gunicorn, {args.workers} sync workers, persistent DB connections; {args.clients} "
        f"concurrent clients; GETs: {args.duration:g} s after {args.warmup:g} s warm-up; "
        f"POSTs: each of {MEMBERS} requests once"
    )
    for name, result in results.items():
        rows.append(
            [
                name,
                str(len(result.latencies)),
                f"{len(result.latencies) / result.seconds:.0f}",
                f"{percentile(result.latencies, 50) * 1000:.1f}",
                f"{percentile(result.latencies, 95) * 1000:.1f}",
                f"{percentile(result.latencies, 99) * 1000:.1f}",
                f"{percentile(single[name].latencies, 50) * 1000:.1f}" if name in single else "-",
                f"{1000 * result.app_cpu / max(len(result.latencies), 1):.1f}",
                f"{1000 * result.db_cpu / max(len(result.latencies), 1):.1f}",
                f"{floor_ms(result, args.clients):.0f}",
                f"{result.other_cpu:.0f}%",
                f"{result.steal:.0f}%",
                str(sum(result.errors.values())),
            ]
        )
    print(
        table(
            [
                "endpoint",
                "requests",
                "req/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "c=1 p50",
                "app ms",
                "DB ms",
                "floor ms",
                "others",
                "steal",
                "errors",
            ],
            rows,
        )
    )
    for name, outcomes in outcomes_by.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(
        "SQL queries per timetable request: " + "; ".join(f"{k}: {v}" for k, v in queries.items())
    )
    print(
        "c=1 p50: one client, no queueing. app ms / DB ms: CPU per request of gunicorn's "
        "processes / of PostgreSQL. floor ms: the least mean latency 20 clients can see on "
        "this machine's CPUs (clients x CPU per request, load generator included / CPUs). "
        "others / steal: CPU of processes outside the benchmark / the hypervisor, % of one CPU."
    )
    errors = {n: dict(r.errors) for n, r in results.items() if r.errors}
    for name, result in results.items():
        for key, sample in result.samples.items():
            print(f"  {name} {key}: {sample!r}")
    verdicts = []
    for name in ("timetable", "timetable cached"):
        p95 = percentile(results[name].latencies, 95) * 1000
        verdicts.append(
            (
                f"{name} p95 < {TARGET_TIMETABLE_P95_MS:.0f} ms at {args.clients} clients "
                f"({p95:.1f} ms; floor {floor_ms(results[name], args.clients):.0f} ms; "
                f"one client p50 {percentile(single[name].latencies, 50) * 1000:.1f} ms)",
                p95 < TARGET_TIMETABLE_P95_MS,
            )
        )
    verdicts += [
        *(
            (
                f"timetable queries constant ({mode}): "
                + str(sorted({n for k, n in queries.items() if k.startswith(mode + " ")})),
                len({n for k, n in queries.items() if k.startswith(mode + " ")}) == 1,
            )
            for mode in ("uncached", "cached")
        ),
        ("no overbooking, no double places, hot classes exactly full", not problems),
        (f"every request answered (errors: {errors or 'none'})", not errors),
    ]
    for label, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    for problem in problems:
        print(f"  {problem}")
    print(load_note())
    broken = bool(problems or errors)
    return 1 if broken or (args.strict and not all(ok for _l, ok in verdicts)) else 0


if __name__ == "__main__":
    sys.exit(main())
