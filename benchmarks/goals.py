"""Goals under load: the daily check-in, the streak read, and the AI message off the path.

Sets up a gym (`bench.localhost`, database bench_goals, made afresh and dropped at the
end) with 200 members of whom the first CLIENTS have logins, serves it the way
benchmarks/api.py does (gunicorn, 2 sync workers, persistent connections, session tokens),
with a Celery worker as `make run` starts it and the OpenAI stand-in
(devtools/openai_standin.py) as the AI, and measures:

    bare        a plain Django view: middleware + tenant lookup only
    drf         a DRF no-op view with the API's auth, permission and throttles (baseline)
    checkin     POST /api/v1/daily-check-ins/ at 20 concurrent clients, each a different member
                answering today (the first answer creates the day, the rest change it:
                each change keeps the previous answer in the history), stand-in answering
                at once
    checkin-2s  the same with the stand-in answering every chat call after 2 s: the
                message is made in a task, so the response must not change

and, in-process (server time, no HTTP): the streak and goal-status reads for a member with
3 years of daily check-ins (GET /api/v1/streak/ and /api/v1/goals/ through Django's test
client, median and p95 of 200).

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.goals

Targets: check-in POST p95 < 2x the DRF no-op's p95; streak and status reads < 5 ms;
check-in p95 with the AI at 2 s within 1.25x of the p95 without (the same run; the
machine's noise is about that). The kiosk target with goals wired is
benchmarks/kiosk.py's own (scan->result p99 < 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks import api
from benchmarks.common import (
    OtherCpu,
    database_drop,
    database_recreate,
    django_setup,
    load_note,
    percentile,
    start_worker,
    stop_worker,
    table,
)

DB_NAME = "bench_goals"
TARGET_CHECKIN_OVER_DRF = 2.0
TARGET_READ_MS = 5.0
TARGET_SLOW_AI_RATIO = 1.25
CHECKIN_PATH = "/api/v1/daily-check-ins/"
HISTORY_DAYS = 3 * 365


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--busy", type=float, default=25.0, help="see benchmarks/api.py")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser.parse_args(argv)


def email(n: int) -> str:
    return api.MEMBER_EMAIL if n == 1 else f"m{n}@example.test"


def setup(clients: int):
    """The gym, logins for members 1..clients, and member 1's three years of history."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from apps.goals.models import CheckIn, CheckInStatus, Goal, GoalType, Period, Streak
    from apps.goals.services.streaks import streak_settle
    from apps.members.models import Member, MemberStatus
    from apps.members.services import member_grant_app_access

    gym = api.setup_gym(200)
    with tenant_context(gym):
        Member.objects.filter(number__lte=clients).update(status=MemberStatus.ACTIVE)
        for member in Member.objects.filter(number__gt=1, number__lte=clients):
            member_grant_app_access(member=member, password=api.PASSWORD)
        member = Member.objects.get(number=1)
        today = timezone.localdate()
        # Dated history is written in bulk (as the demo's); the streak is settled once by
        # the service, then kept incrementally as every check-in after it.
        CheckIn.objects.bulk_create(
            [
                CheckIn(
                    member=member,
                    on=today - timedelta(days=d),
                    status=CheckInStatus.REST if d % 7 == 3 else CheckInStatus.WENT,
                )
                for d in range(1, HISTORY_DAYS + 1)
            ],
            batch_size=1000,
        )
        Streak.objects.create(member=member, last_day=today - timedelta(days=HISTORY_DAYS + 1))
        streak_settle(member=member)
        Goal.objects.create(
            member=member,
            title="Three visits a week",
            type=GoalType.VISITS,
            period=Period.WEEK,
            target=3,
            unit="visits",
            start_date=today - timedelta(days=HISTORY_DAYS),
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return gym


def read_times(gym, count: int = 200) -> dict[str, tuple[float, float]]:
    """Median and p95 (ms) of the streak and goals reads for member 1, in-process."""
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from apps.members.models import Member

    client = Client(HTTP_HOST=api.HOST)
    with tenant_context(gym):
        # force_login: axes' backend wants a request, which an in-process login lacks.
        user = Member.objects.select_related("user").get(number=1).user
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    out = {}
    for name, path in (("streak", "/api/v1/streak/"), ("goals", "/api/v1/goals/")):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"in-process GET {path} answered {response.status_code}")
        times = []
        for _ in range(count):
            began = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - began) * 1000)
        out[name] = (statistics.median(times), percentile(times, 95))
    connection.set_schema_to_public()
    return out


def forget_today(gym) -> None:
    """Drop today's check-ins of the clients (not member 1's history): the next answers
    are first answers, the ones that queue a motivation message."""
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from apps.goals.models import CheckIn

    with tenant_context(gym):
        CheckIn.objects.filter(on__gte=timezone.localdate() - timedelta(days=1)).delete()


def raw_post(path: str, token: str, body: dict) -> bytes:
    data = json.dumps(body).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {api.HOST}",
        "Accept: application/json",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        f"X-Session-Token: {token}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _load_each(port: int, raws: list[bytes], seconds: float) -> api.Result:
    """benchmarks.api._load with one request per client (a member each)."""
    import asyncio

    connections = [api.Connection(port) for _ in raws]
    start = time.perf_counter()
    deadline = start + seconds
    result = api.Result(seconds)

    async def client(conn, raw: bytes) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                status, body = await conn.request(raw)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                result.errors[type(exc).__name__] += 1
                continue
            if status in (200, 201):
                result.latencies.append(time.perf_counter() - began)
            else:
                result.errors[status] += 1
                result.samples.setdefault(status, body[:200])

    await asyncio.gather(*(client(c, r) for c, r in zip(connections, raws, strict=True)))
    result.seconds = time.perf_counter() - start
    for conn in connections:
        conn.close()
    return result


def load(raws: list[bytes], port: int, seconds: float) -> api.Result:
    import asyncio

    others = OtherCpu(DB_NAME)
    result = asyncio.run(_load_each(port, raws, seconds))
    result.steal, result.other_cpu = others.steal_percent(), others.percent()
    return result


def measure(args) -> list[tuple[str, bool]]:
    from devtools.openai_standin import OpenAIStandin

    started = time.perf_counter()
    gym = setup(args.clients)
    print(f"set-up: {time.perf_counter() - started:.1f} s", flush=True)
    reads = read_times(gym)
    standin = OpenAIStandin()
    url = standin.start()
    os.environ.update(
        OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=url, OPENAI_CHAT_MODEL="standin-chat"
    )
    results: dict[str, api.Result] = {}
    with tempfile.TemporaryDirectory(prefix="bench-goals-") as tmp:
        worker = start_worker(2, args.db_url, Path(tmp))
        server = api.start_server("gunicorn", args.workers, args.db_url, True, Path(tmp))
        try:
            tokens = [api.login(server.port, email(n)) for n in range(1, args.clients + 1)]
            get = {
                "bare": [api.raw_get("/bench/bare/", {})] * args.clients,
                "drf": [api.raw_get("/bench/drf/", {"X-Session-Token": tokens[0]})] * args.clients,
            }
            body = {"status": "went", "mood": 4, "energy": 3, "reflection": "Legs day."}
            posts = [raw_post(CHECKIN_PATH, t, body) for t in tokens]
            status, data = api.http_call(
                server.port, "POST", CHECKIN_PATH, body, {"X-Session-Token": tokens[0]}
            )
            if status not in (200, 201):
                raise SystemExit(f"POST {CHECKIN_PATH} answered {status}: {str(data)[:300]}")
            plan = [("bare", get["bare"], "ok"), ("drf", get["drf"], "ok")]
            plan += [("checkin", posts, "ok"), ("checkin-2s", posts, "slow")]
            for name, raws, mode in plan:
                standin.mode, standin.delay = mode, 2.0
                forget_today(gym)  # each phase's first answers create the day: the AI is queued
                for _attempt in range(args.retries + 1):
                    load(raws, server.port, args.warmup)
                    run = load(raws, server.port, args.duration)
                    kept = results.get(name)
                    busy = run.other_cpu + run.steal
                    if kept is None or busy < kept.other_cpu + kept.steal:
                        results[name] = run
                    print(
                        f"  {name:11} {run.rps:6.0f} req/s  p95 {run.ms(95):6.1f} ms  "
                        f"errors {sum(run.errors.values())}  other CPU {run.other_cpu:.0f}%  "
                        f"steal {run.steal:.0f}%",
                        flush=True,
                    )
                    if busy <= args.busy:
                        break
            chat_calls = len(standin.chat_requests)
        finally:
            server.stop()
            stop_worker(worker)
            standin.stop()
            if server.proc.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
                print(f"gunicorn exited with {server.proc.returncode}:\n{server.log_tail()}")
    print()
    rows = [
        [
            name,
            f"{run.rps:.0f}",
            f"{run.ms(50):.1f}",
            f"{run.ms(95):.1f}",
            f"{run.ms(99):.1f}",
            f"{run.other_cpu:.0f}%",
            f"{run.steal:.0f}%",
            str(sum(run.errors.values())),
        ]
        for name, run in results.items()
    ]
    print(
        table(
            ["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "others", "steal", "errors"], rows
        )
    )
    print(f"chat completions the stand-in answered: {chat_calls}")
    for name, (med, p95) in reads.items():
        print(
            f"{name} read, member with {HISTORY_DAYS} days of check-ins: "
            f"median {med:.2f} ms, p95 {p95:.2f} ms"
        )
    drf, checkin, slow = (results[n].ms(95) for n in ("drf", "checkin", "checkin-2s"))
    errors = {n: dict(r.errors) for n, r in results.items() if r.errors}
    samples = {n: r.samples for n, r in results.items() if r.samples}
    if errors:
        print(f"non-2xx: {errors} {samples}")
    return [
        (
            f"check-in POST p95 < {TARGET_CHECKIN_OVER_DRF}x DRF no-op p95 ({checkin:.1f} ms / "
            f"{drf:.1f} ms = {checkin / drf:.2f}x)",
            checkin / drf < TARGET_CHECKIN_OVER_DRF,
        ),
        *(
            (f"{name} read median < {TARGET_READ_MS} ms ({med:.2f} ms)", med < TARGET_READ_MS)
            for name, (med, _p95) in reads.items()
        ),
        (
            f"check-in p95 with the AI answering in 2 s within {TARGET_SLOW_AI_RATIO}x of "
            f"without ({slow:.1f} ms vs {checkin:.1f} ms = {slow / checkin:.2f}x)",
            slow / checkin < TARGET_SLOW_AI_RATIO,
        ),
        ("every request answered 2xx", not errors),
    ]


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f"Goals benchmark: database {DB_NAME}; {load_note()}", flush=True)
    others = OtherCpu(DB_NAME)
    args.db_url = database_recreate(DB_NAME)
    django_setup(args.db_url)
    try:
        verdicts = measure(args)
    finally:
        if not args.keep:
            database_drop(DB_NAME)
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(
        f"CPU of other processes over the run: {others.top()}; steal {others.steal_percent():.0f}%"
    )
    return 1 if args.strict and not all(ok for _t, ok in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
