"""Reminders due in the same minute: 10,000 across 20 gyms, sent by the per-minute tick.

Sets up 20 gyms (`rem0.localhost` ...) in a database of its own (bench_reminders, made
afresh and dropped at the end), each with 500 members booked into ten classes that start
two hours after M, the next minute boundary after set-up: their class reminders (one-date
Reminder rows, as booking_create sets them) are all due at M. The gyms are in five time
zones (the same instant, different local times), and the reminders go through the class
reminders' resolver, which re-reads each booking at send time, as in production. A Celery
worker runs as `make run` starts it (prefork, concurrency 2). At M the benchmark queues
beat's "notifications-tick" entry exactly as beat does
(`apps.tenants.tasks.fan_out("apps.notifications.tasks.tick")`, one tick per gym); it
queues it again at M + 1 min (beat's next tick) and once more in between (an overlapping
duplicate, as after a beat restart), to show nothing is sent twice.

Prints how long after M the last reminder's notification was written and the last email
was handed to the backend (console backend, into the worker's log), the tick task's own run
time per gym (from the worker's "succeeded in" log lines), and the checks: every reminder
sent exactly once (one notification per reminder, no dedupe key twice, every reminder
switched off), all within 60 s of M.

    .venv/bin/python -m config.devstack exec -- \
        .venv/bin/python -m benchmarks.notifications_reminders

Target: all sent within 60 s of their minute, each exactly once.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.common import (
    OtherCpu,
    load_note,
    median,
    percentile,
    run_in_fresh_database,
    start_worker,
    stop_worker,
    table,
)

DB_NAME = "bench_reminders"
TARGET_S = 60.0
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "UTC"]
LEAD_MINUTES = 120  # the class reminders' lead time
PER_CLASS = 50  # places per class
TICK = "apps.notifications.tasks.tick"
# A tick's run time and how many reminders it sent (its result dict).
SUCCEEDED = re.compile(
    r"Task apps\.notifications\.tasks\.tick\[[^\]]+\] succeeded in ([0-9.]+)s: "
    r"\{[^}]*'reminders': (\d+)"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gyms", type=int, default=20)
    parser.add_argument("--per-gym", type=int, default=500, help="reminders (members) per gym")
    parser.add_argument("--celery", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--keep", action="store_true", help="keep the bench_reminders database")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    return run_in_fresh_database(DB_NAME, args, run)


def setup_gym(n: int, per_gym: int, due: datetime):
    """A gym in one of ZONES whose members each hold a place in one of its classes that
    start LEAD_MINUTES after `due`: their class reminders (Reminder rows, as
    booking_create sets them) are all due at `due`, and the resolver reads the bookings
    at send time, as in production."""
    from django_tenants.utils import tenant_context

    from apps.bookings.models import Booking, BookingPolicy, ClassSession, ClassType
    from apps.members.models import Member
    from apps.notifications.models import Reminder
    from apps.tenants.services import gym_create

    slug = f"rem{n}"
    zone = ZONES[n % len(ZONES)]
    gym = gym_create(
        name=f"Reminder Gym {n}",
        slug=slug,
        owner_email=f"owner@{slug}.localhost",
        owner_password="Bench-pass-4-reminders",
        owner_name="Bench Owner",
        time_zone=zone,
    )
    with tenant_context(gym):
        policy = BookingPolicy.load()
        policy.reminder_minutes_before = LEAD_MINUTES
        policy.save()
        members = Member.objects.bulk_create(
            [
                Member(
                    number=i + 1,
                    first_name=f"M{i}",
                    email=f"m{i}@{slug}.localhost",
                    status="active",
                )
                for i in range(per_gym)
            ],
            batch_size=1000,
        )
        starts = due + timedelta(minutes=LEAD_MINUTES)
        sessions = []
        for c in range(-(-per_gym // PER_CLASS)):
            kind = ClassType.objects.create(
                name=f"Class {c}", capacity=PER_CLASS, required_tier="free", duration_minutes=60
            )
            sessions.append(
                ClassSession.objects.create(
                    class_type=kind,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                    capacity=PER_CLASS,
                )
            )
        bookings = Booking.objects.bulk_create(
            [
                Booking(member=m, session=sessions[i // PER_CLASS], status="booked")
                for i, m in enumerate(members)
            ],
            batch_size=1000,
        )
        local = due.astimezone(ZoneInfo(zone))
        Reminder.objects.bulk_create(
            [
                Reminder(
                    member_id=b.member_id,
                    kind="booking_reminder",
                    local_time=local.time().replace(tzinfo=None),
                    on_date=local.date(),
                    time_zone=zone,
                    context={"booking": b.pk},
                    source=f"booking:{b.pk}",
                    next_at=due,
                )
                for b in bookings
            ],
            batch_size=1000,
        )
    return gym


def wait_until(moment: datetime) -> None:
    while (left := (moment - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(left, 0.5))


def progress(gyms) -> tuple[int, int]:
    """(notifications written, email deliveries sent) over all gyms."""
    from django_tenants.utils import tenant_context

    from apps.notifications.models import Delivery, Notification

    written = sent = 0
    for gym in gyms:
        with tenant_context(gym):
            written += Notification.objects.count()
            sent += Delivery.objects.filter(status="sent").count()
    return written, sent


def run(args: argparse.Namespace, db_url: str) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Count, Max, Min
    from django_tenants.utils import tenant_context

    from apps.bookings.models import ClassSession
    from apps.notifications.models import Delivery, Notification, Reminder
    from config.celery import app

    total = args.gyms * args.per_gym
    print(
        f"setting up: migrations, {args.gyms} gyms x {args.per_gym} members + reminders ...",
        flush=True,
    )
    call_command("migrate_schemas", interactive=False, verbosity=0)
    began_setup = time.perf_counter()
    # Due at a minute boundary far enough ahead for the set-up and the worker's start.
    provisional = datetime.now(UTC) + timedelta(minutes=30)
    gyms = [setup_gym(n, args.per_gym, provisional) for n in range(args.gyms)]
    due = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    for gym in gyms:
        with tenant_context(gym):
            local = due.astimezone(ZoneInfo(gym.time_zone))
            Reminder.objects.update(
                local_time=local.time().replace(tzinfo=None), on_date=local.date(), next_at=due
            )
            starts = due + timedelta(minutes=LEAD_MINUTES)
            ClassSession.objects.update(starts_at=starts, ends_at=starts + timedelta(hours=1))
    connections.close_all()
    print(f"set up in {time.perf_counter() - began_setup:.0f} s; due at {due:%H:%M} UTC")

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-tick"]
    assert entry["args"] == [TICK], entry

    def beat() -> None:
        app.send_task(entry["task"], args=entry["args"])

    logdir = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    worker = start_worker(args.celery, db_url, logdir, loglevel="info")  # run times
    others = OtherCpu(DB_NAME)
    try:
        wait_until(due)
        started = time.perf_counter()
        beat()  # beat's tick at M
        time.sleep(2)
        beat()  # an overlapping duplicate (a second beat, a restart)
        written_at = sent_at = None
        next_beat = False
        while time.perf_counter() - started < args.timeout:
            written, sent = progress(gyms)
            connections.close_all()
            now = time.perf_counter() - started
            if written_at is None and written >= total:
                written_at = now
            if sent >= total:
                sent_at = now
                break
            if not next_beat and now >= 60:
                beat()  # beat's next tick, M + 1 min
                next_beat = True
            time.sleep(0.25)
        if not next_beat:
            wait_until(due + timedelta(minutes=1))
            beat()
        time.sleep(5)  # the late ticks finish (they must find nothing)
        deadline = time.perf_counter() + 60
        log = logdir / "celery.log"
        while time.perf_counter() < deadline:
            if len(SUCCEEDED.findall(log.read_text(errors="replace"))) >= 3 * args.gyms:
                break
            time.sleep(0.5)
        other_note = f"others {others.percent():.0f}% of one CPU ({others.top()})"
        steal = others.steal_percent()
    finally:
        stop_worker(worker)

    runs = [
        (float(seconds), int(reminders))
        for seconds, reminders in SUCCEEDED.findall(
            (logdir / "celery.log").read_text(errors="replace")
        )
    ]
    lateness, doubles, unsent, active, per_gym_sent = [], 0, 0, 0, []
    for gym in gyms:
        with tenant_context(gym):
            keys = Notification.objects.values("dedupe_key").annotate(n=Count("id"))
            doubles += sum(1 for k in keys if k["n"] > 1)
            count = Notification.objects.count()
            per_gym_sent.append(count)
            unsent += args.per_gym - Notification.objects.values("member_id").distinct().count()
            active += Reminder.objects.filter(active=True).count()
            last = Notification.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
            if last["last"]:
                lateness.append((last["last"] - due).total_seconds())
            delivered = Delivery.objects.aggregate(last=Max("sent_at"))["last"]
            if delivered:
                lateness.append((delivered - due).total_seconds())
    connections.close_all()
    sent_total = sum(per_gym_sent)
    worst = max(lateness) if lateness else float("inf")
    checks = [
        ["notifications, one per reminder", f"{sent_total} of {total}", sent_total == total],
        ["reminders never sent", str(unsent), unsent == 0],
        ["dedupe keys used twice", str(doubles), doubles == 0],
        ["reminders still active", str(active), active == 0],
        [
            "all sent (email handed over) within 60 s of M",
            f"{worst:.1f} s",
            worst <= TARGET_S,
        ],
    ]
    print()
    print(
        table(
            ["phase", "seconds after M"],
            [
                ["last notification written", f"{written_at:.1f}" if written_at else "-"],
                ["last email sent", f"{sent_at:.1f}" if sent_at else "-"],
            ],
        )
    )
    print()
    busy = [seconds for seconds, reminders in runs if reminders]
    idle = [seconds for seconds, reminders in runs if not reminders]
    print(f"tick runs found in the worker log: {len(runs)} of {3 * args.gyms} queued")
    if busy:
        print(
            f"ticks that sent ({len(busy)}): median {median(busy):.2f} s, "
            f"p95 {percentile(busy, 95):.2f} s, max {max(busy):.2f} s"
        )
    if idle:
        print(f"ticks that found nothing ({len(idle)}): median {median(idle):.3f} s")
    print()
    print(table(["check", "result", "ok"], [[a, b, "yes" if c else "NO"] for a, b, c in checks]))
    print()
    print(f"{args.celery} worker processes (prefork, as make run); {load_note()}")
    print(f"{other_note}; steal {steal:.0f}% of one CPU")
    ok = all(c[2] for c in checks)
    print("PASS" if ok else "FAIL", f"- {total} reminders, {args.gyms} gyms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
