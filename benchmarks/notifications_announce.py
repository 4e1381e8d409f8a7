"""An announcement to a gym of 10,000 members, with a real Celery worker.

Sets up a gym (`bench.localhost`) in a database of its own (bench_announce, made afresh and
dropped at the end) with N active members (10,000 by default), each with an email address
and an app login (so every notification is also broadcast to the member's `/ws/me/` group),
and starts a Celery worker as `make run` starts it (prefork, 2 processes). The owner then
sends an announcement to "all active members" through the dashboard's two requests, in
process through the whole Django stack (test client, DEBUG off): Preview (the count),
then Send. The request only writes the Announcement and queues the fan-out; the worker
fans out in chunks through `notify_many` and sends the emails (console backend, to the
worker's log).

Prints the time to accept each request, the time until every in-app row exists, until the
announcement is marked sent and until every email delivery is out, and checks each
member got the notification exactly once.

    .venv/bin/python -m config.devstack exec -- \
        .venv/bin/python -m benchmarks.notifications_announce [--members 10000]

Targets: Send accepted in < 1 s; every in-app row within 60 s; each member exactly once.

Push: the first `--devices` members (by default all of them, as the target counts each
member at the stand-in) have
a web push subscription at the push stand-in (devtools/push_standin.py, started here; it
checks VAPID and the encryption as a real push service does), and the worker gets dev VAPID
keys: the run also waits for every push to arrive there and checks each arrived once.
`--devices 0` leaves push out.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import (
    OtherCpu,
    load_note,
    run_in_fresh_database,
    start_worker,
    stop_worker,
    table,
)

DB_NAME = "bench_announce"
SLUG = "bench"
HOST = f"{SLUG}.localhost"
OWNER_EMAIL = f"owner@{HOST}"
PASSWORD = "Bench-pass-4-announce"
NEW = "/dashboard/notifications/announcements/new/"
ACCEPT_TARGET = 1.0
IN_APP_TARGET = 60.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--celery", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--devices", type=int, help="members with web push (default: all)")
    parser.add_argument("--timeout", type=float, default=300, help="give up after (s)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args()


@dataclass
class Result:
    accept_preview: float = 0.0
    accept_send: float = 0.0
    recipients_previewed: int = 0
    in_app: float | None = None
    marked_sent: float | None = None
    emails_out: float | None = None
    pushes: float | None = None
    counts: dict = field(default_factory=dict)


def setup_gym(member_count: int):
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.accounts.roles import Role
    from apps.members.models import Member, MemberStatus
    from apps.tenants.services import gym_create

    call_command("migrate_schemas", interactive=False, verbosity=0)
    gym = gym_create(
        name="Bench Gym",
        slug=SLUG,
        owner_email=OWNER_EMAIL,
        owner_password=PASSWORD,
        owner_name="Bench Owner",
    )
    unusable = make_password(None)
    with tenant_context(gym):
        users = User.objects.bulk_create(
            [
                User(email=f"m{n}@{HOST}", role=Role.MEMBER, password=unusable)
                for n in range(1, member_count + 1)
            ],
            batch_size=2000,
        )
        Member.objects.bulk_create(
            [
                Member(
                    number=n,
                    user=user,
                    first_name=f"M{n}",
                    email=user.email,
                    status=MemberStatus.ACTIVE,
                )
                for n, user in enumerate(users, start=1)
            ],
            batch_size=2000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE members_member")
            cursor.execute("ANALYZE accounts_user")
    return gym


def push_setup(gym, devices: int, logdir: Path):
    """The push stand-in, one web push subscription there for each of the first `devices`
    members, and the worker's environment to reach it. Returns the stand-in (or None)."""
    if not devices:
        return None
    from django_tenants.utils import tenant_context

    from apps.members.models import Member
    from apps.notifications.models import Device, DeviceKind
    from devtools.push_standin import PushStandin, vapid_keys

    standin = PushStandin()
    standin.start()
    keys = vapid_keys(logdir / "vapid.json")
    os.environ.update(
        VAPID_PUBLIC_KEY=keys["public_key"],
        VAPID_PRIVATE_KEY=keys["private_key"],
        PUSH_ALLOWED_TEST_ENDPOINTS=f"{standin.base_url}/push/",
    )
    with tenant_context(gym):
        members = Member.objects.order_by("number").values_list("pk", flat=True)[:devices]
        rows = []
        for member_id in members:
            sub = standin.subscription()
            rows.append(
                Device(
                    member_id=member_id,
                    kind=DeviceKind.WEBPUSH,
                    endpoint=sub["endpoint"],
                    p256dh=sub["keys"]["p256dh"],
                    auth=sub["keys"]["auth"],
                )
            )
        Device.objects.bulk_create(rows, batch_size=2000)
    return standin


def _wait(check: Callable[[], bool], began: float, timeout: float) -> float | None:
    from django.db import connections

    while time.perf_counter() - began < timeout:
        done = check()
        connections.close_all()
        if done:
            return time.perf_counter() - began
        time.sleep(0.2)
    return None


def measure(
    gym,
    *,
    members: int,
    timeout: float,
    count_pushes: Callable[[], int] | None = None,
    expected_pushes: int = 0,
) -> Result:
    """Send the announcement as the owner and time it; the worker must be running."""
    from django.test import Client
    from django_tenants.utils import tenant_context

    from apps.accounts.models import User
    from apps.notifications import selectors
    from apps.notifications.models import (
        Announcement,
        AnnouncementStatus,
        Delivery,
        DeliveryChannel,
        DeliveryStatus,
        Notification,
    )

    result = Result()
    with tenant_context(gym):
        owner = User.objects.get(email=OWNER_EMAIL)
        client = Client(HTTP_HOST=HOST)
        client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    form = {
        "title": "Closed on Monday",
        "body": "The gym is closed on Monday for maintenance. See you on Tuesday!",
        "segment": "all_active",
    }
    client.get(NEW)  # warm: templates, URL resolver, the session
    began = time.perf_counter()
    preview = client.post(NEW, {**form, "action": "preview"})
    result.accept_preview = time.perf_counter() - began
    html = preview.content.decode()
    if preview.status_code != 200 or 'name="previewed"' not in html:
        raise SystemExit(f"preview answered {preview.status_code}:\n{html[:2000]}")
    fingerprint = html.split('name="previewed" value="', 1)[1].split('"', 1)[0]
    began = time.perf_counter()
    sent = client.post(NEW, {**form, "action": "send", "previewed": fingerprint})
    result.accept_send = time.perf_counter() - began
    if sent.status_code != 302:
        raise SystemExit(f"send answered {sent.status_code}:\n{sent.content.decode()[:2000]}")
    with tenant_context(gym):
        announcement = Announcement.objects.get()
        result.recipients_previewed = announcement.recipient_count
    key = selectors.announcement_dedupe_key(announcement.pk)

    def in_app_done() -> bool:
        with tenant_context(gym):
            return Notification.objects.filter(dedupe_key=key).count() >= members

    def marked_sent() -> bool:
        with tenant_context(gym):
            return Announcement.objects.filter(
                pk=announcement.pk, status=AnnouncementStatus.SENT
            ).exists()

    def emails_out() -> bool:
        with tenant_context(gym):
            return not Delivery.objects.filter(
                notification__dedupe_key=key,
                channel=DeliveryChannel.EMAIL,
                status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING],
            ).exists() and (
                Delivery.objects.filter(notification__dedupe_key=key).count() >= members
            )

    result.in_app = _wait(in_app_done, began, timeout)
    result.marked_sent = _wait(marked_sent, began, timeout)
    if count_pushes is not None:
        result.pushes = _wait(lambda: count_pushes() >= expected_pushes, began, timeout)
    result.emails_out = _wait(emails_out, began, timeout)
    with tenant_context(gym):
        notes = Notification.objects.filter(dedupe_key=key)
        result.counts = {
            "notifications": notes.count(),
            "members told": notes.values("member_id").distinct().count(),
            "emails sent": Delivery.objects.filter(
                notification__dedupe_key=key,
                channel=DeliveryChannel.EMAIL,
                status=DeliveryStatus.SENT,
            ).count(),
            **selectors.announcement_delivery_counts([announcement.pk])[announcement.pk]["push"],
        }
        if count_pushes is not None:
            result.counts["pushes at the stand-in"] = count_pushes()
    return result


def report(result: Result, members: int, expected_pushes: int, other: OtherCpu) -> bool:
    def fmt(seconds: float | None) -> str:
        return "timed out" if seconds is None else f"{seconds:.2f} s"

    rows = [
        ["Preview request (count)", f"{result.accept_preview * 1000:.0f} ms", "—"],
        [
            "Send request (accepted)",
            f"{result.accept_send * 1000:.0f} ms",
            f"< {ACCEPT_TARGET:.0f} s",
        ],
        ["every in-app row exists", fmt(result.in_app), f"< {IN_APP_TARGET:.0f} s"],
        ["announcement marked sent", fmt(result.marked_sent), "—"],
        ["every email delivery sent", fmt(result.emails_out), "—"],
    ]
    if result.pushes is not None or expected_pushes:
        rows.append(["every push at the stand-in", fmt(result.pushes), f"< {IN_APP_TARGET:.0f} s"])
    print(table(["step (from the Send request)", "time", "target"], rows))
    print("counts:", ", ".join(f"{k} {v}" for k, v in result.counts.items()))
    print(
        f"previewed {result.recipients_previewed} recipients; "
        f"{load_note()}; other processes used {other.percent():.0f}% of a CPU meanwhile"
    )
    checks = {
        "Send accepted < 1 s": result.accept_send < ACCEPT_TARGET,
        "in-app rows < 60 s": result.in_app is not None and result.in_app < IN_APP_TARGET,
        "preview count = members": result.recipients_previewed == members,
        "each member exactly once": result.counts.get("notifications") == members
        and result.counts.get("members told") == members,
    }
    if expected_pushes:
        checks["pushes < 60 s"] = result.pushes is not None and result.pushes < IN_APP_TARGET
        checks["each push exactly once"] = (
            result.counts.get("pushes at the stand-in") == expected_pushes
        )
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return all(checks.values())


def main() -> int:
    args = parse_args()
    args.devices = args.members if args.devices is None else min(args.devices, args.members)
    return run_in_fresh_database(DB_NAME, args, run)


def run(args: argparse.Namespace, db_url: str) -> int:
    print(f"setting up: migrations, gym, {args.members} members with logins ...", flush=True)
    gym = setup_gym(args.members)
    logdir = Path(tempfile.mkdtemp(prefix="bench-announce-"))
    standin = push_setup(gym, args.devices, logdir)
    worker = start_worker(args.celery, db_url, logdir)
    try:
        time.sleep(3)  # the worker's processes are up before the clock starts
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited at start; see its logs in {logdir}")
        other = OtherCpu(DB_NAME)
        print(
            f"announcement to {args.members} active members; worker: Celery prefork, "
            f"{args.celery} processes (as make run); log in {logdir}",
            flush=True,
        )
        result = measure(
            gym,
            members=args.members,
            timeout=args.timeout,
            count_pushes=standin.push_count if standin else None,
            expected_pushes=args.devices if standin else 0,
        )
    finally:
        stop_worker(worker)
        if standin:
            standin.stop()
    return 0 if report(result, args.members, args.devices if standin else 0, other) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
