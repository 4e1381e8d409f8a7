"""`GET /api/v1/notifications/` under load, next to the two baselines of benchmarks/api.py
measured in the same run, served the same way (gunicorn, 2 sync workers, persistent
database connections; allauth.headless session token; 20 concurrent HTTP/1.1 clients).

Sets up a gym (`bench.localhost`, database bench_notifications_api, made afresh and dropped
at the end) whose member #1 has 2,000 notifications (a third of them read) among 50,000
of other members and staff, then measures:

    bare           a plain Django view: middleware + tenant lookup only
    drf            a DRF view with the API's auth, permission and throttles, no query
    notifications  GET /api/v1/notifications/          (first page of 20 + unread count)
    unread         GET /api/v1/notifications/?unread=true

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.notifications_api

Target: notifications p95 < 1.5x the DRF no-op's p95. `benchmarks/notifications.py` calls
`measure()` and prints the verdicts with its own.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import api
from benchmarks.common import (
    OtherCpu,
    database_drop,
    database_recreate,
    django_setup,
    load_note,
    server_cpu,
    table,
)

DB_NAME = "bench_notifications_api"
TARGET_OVER_DRF = 1.5
ENDPOINTS = {
    "bare": "/bench/bare/",
    "drf": "/bench/drf/",
    "notifications": "/api/v1/notifications/",
    "unread": "/api/v1/notifications/?unread=true",
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=2000, help="of the member measured")
    parser.add_argument("--others", type=int, default=50_000, help="notifications of others")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--busy", type=float, default=25.0, help="see benchmarks/api.py")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--show-sql", action="store_true")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    return parser.parse_args(argv)


def setup(mine: int, others: int) -> None:
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.members.models import Member
    from apps.notifications.models import Notification

    gym = api.setup_gym(200)
    rng = random.Random(14)
    now = timezone.now()
    with tenant_context(gym):
        member = Member.objects.get(number=1)
        other_ids = list(Member.objects.exclude(pk=member.pk).values_list("pk", flat=True))
        owner = User.objects.get(email=api.OWNER_EMAIL)
        # Interleaved in id order, as they would arrive: one of ours every k rows.
        step = max((others + mine) // mine, 1)
        batch = []
        made_mine = 0
        for n in range(others + mine):
            is_mine = n % step == 0 and made_mine < mine
            made_mine += is_mine
            staff = not is_mine and n % 50 == 1
            batch.append(
                Notification(
                    member_id=member.pk if is_mine else (None if staff else rng.choice(other_ids)),
                    user_id=owner.pk if staff else None,
                    kind="announcement",
                    category="announcements",
                    title=f"Announcement {n}",
                    body="The sauna is closed on Monday for maintenance. " * 2,
                    url="/portal/",
                    data={"n": n},
                    read_at=now if rng.random() < 1 / 3 else None,
                    created_at=now,
                )
            )
            if len(batch) == 5000:
                Notification.objects.bulk_create(batch)
                batch = []
        Notification.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notifications_notification")
        count = Notification.objects.filter(member=member).count()
    if count != mine:
        raise SystemExit(f"set-up made {count} notifications for the member, not {mine}")


def _load(server, raw: bytes, clients: int, seconds: float) -> api.Result:
    """benchmarks.api.load with this benchmark's database (its CPU and the others')."""
    others = OtherCpu(DB_NAME)
    app_before, db_before = server_cpu(server.proc.pid, DB_NAME)
    try:
        import uvloop

        result = uvloop.run(api._load(server.port, raw, clients, seconds))  # noqa: SLF001
    except ImportError:
        import asyncio

        result = asyncio.run(api._load(server.port, raw, clients, seconds))  # noqa: SLF001
    app_after, db_after = server_cpu(server.proc.pid, DB_NAME)
    result.app_cpu, result.db_cpu = app_after - app_before, db_after - db_before
    result.steal = others.steal_percent()
    result.other_cpu = others.percent()
    return result


def _check(port: int, token: str, mine: int) -> None:
    headers = {"X-Session-Token": token}
    status, data = api.http_call(port, "GET", ENDPOINTS["notifications"], headers=headers)
    results = data.get("results", []) if status == 200 else []
    unread = data.get("unread_count") if status == 200 else None
    if len(results) != 20 or not unread or not 0.5 * mine < unread < 0.8 * mine:
        raise SystemExit(f"GET /api/v1/notifications/ answered {status}: {str(data)[:300]}")


def measure(args: argparse.Namespace) -> list[tuple[str, bool]]:
    """Set up, serve, load each endpoint; print the table; return (verdict, ok) pairs.
    Expects Django set up on a fresh database (see main)."""
    started = time.perf_counter()
    setup(args.notifications, args.others)
    print(
        f"set-up (migrate, gym, {args.notifications} + {args.others} notifications): "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    results: dict[str, api.Result] = {}
    with tempfile.TemporaryDirectory(prefix="bench-notif-") as tmp:
        server = api.start_server("gunicorn", args.workers, args.db_url, True, Path(tmp))
        try:
            token = api.login(server.port, api.MEMBER_EMAIL)
            _check(server.port, token, args.notifications)
            headers = {"X-Session-Token": token}
            paths = {
                name: (path, {} if name == "bare" else headers) for name, path in ENDPOINTS.items()
            }
            queries = api.queries_per_request(paths, args.show_sql)
            for name, (path, hdrs) in paths.items():
                raw = api.raw_get(path, hdrs)
                attempts = 0
                for _attempt in range(args.retries + 1):
                    attempts += 1
                    warm = _load(server, raw, args.clients, args.warmup)
                    run = _load(server, raw, args.clients, args.duration)
                    run.errors.update(warm.errors)
                    busy = run.other_cpu + run.steal
                    kept = results.get(name)
                    if kept is None or busy < kept.other_cpu + kept.steal:
                        results[name] = run
                    print(
                        f"  {name:14} {run.rps:6.0f} req/s  p95 {run.ms(95):6.1f} ms  "
                        f"errors {sum(run.errors.values())}  other CPU {run.other_cpu:.0f}%  "
                        f"steal {run.steal:.0f}%",
                        flush=True,
                    )
                    if busy <= args.busy:
                        break
                results[name].attempts = attempts
        finally:
            server.stop()
            if server.proc.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
                print(f"gunicorn exited with {server.proc.returncode}:\n{server.log_tail()}")
    print()
    print(
        f"{args.clients} concurrent clients, {args.duration:g} s per endpoint after "
        f"{args.warmup:g} s warm-up; gunicorn, {args.workers} sync workers; member with "
        f"{args.notifications} notifications ({args.others} of others in the table)"
    )
    rows = []
    for name, run in results.items():
        rows.append(
            [
                name,
                f"{run.rps:.0f}",
                f"{run.ms(50):.1f}",
                f"{run.ms(95):.1f}",
                f"{run.ms(99):.1f}",
                f"{run.per_request_ms(run.app_cpu):.1f}",
                f"{run.per_request_ms(run.db_cpu):.1f}",
                f"{api.floor_ms(run, args.clients):.0f}",
                str(queries.get(name, "-")),
                f"{run.other_cpu:.0f}%",
                f"{run.steal:.0f}%",
                str(run.attempts),
                str(sum(run.errors.values())),
            ]
        )
    print(
        table(
            [
                "endpoint",
                "req/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "app ms",
                "DB ms",
                "floor ms",
                "queries",
                "others",
                "steal",
                "runs",
                "non-200",
            ],
            rows,
        )
    )
    print("(columns as in benchmarks/api.py)")
    drf = results["drf"].ms(95)
    verdicts = []
    for name in ("notifications", "unread"):
        ratio = results[name].ms(95) / drf
        verdicts.append(
            (
                f"{name} p95 < {TARGET_OVER_DRF}x DRF no-op p95 ({results[name].ms(95):.1f} ms / "
                f"{drf:.1f} ms = {ratio:.2f}x; bare {results['bare'].ms(95):.1f} ms)",
                ratio < TARGET_OVER_DRF,
            )
        )
    verdicts.append(("every request answered 200", not any(r.errors for r in results.values())))
    return verdicts


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f"Notifications API benchmark: database {DB_NAME}; {load_note()}", flush=True)
    others = OtherCpu(DB_NAME)
    args.db_url = database_recreate(DB_NAME)
    django_setup(args.db_url)
    try:
        verdicts = measure(args)
    finally:
        if not args.keep:
            database_drop(DB_NAME)
    for label, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    print(
        f"CPU of other processes over the whole run (of one CPU): {others.top()}; "
        f"hypervisor steal {others.steal_percent():.0f}%"
    )
    print(load_note())
    broken = not verdicts[-1][1]
    return 1 if broken or (args.strict and not all(ok for _label, ok in verdicts)) else 0


if __name__ == "__main__":
    sys.exit(main())
