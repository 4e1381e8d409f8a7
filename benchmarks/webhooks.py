"""Stripe webhooks under load: signed events, duplicates, shuffled order, a real server.

Sets up a gym (`bench.localhost`) in a database of its own (bench_webhooks, made afresh and
dropped at the end), connected to an account of the Stripe stand-in (devtools/
stripe_standin.py, a thread of this process on a free port), with a Celery worker
(prefork, 2 processes) that processes the stored events. Members join through the real
checkout service; then Stripe's own life is simulated on the stand-in (checkouts completed,
renewals paid or failed, retries, cancellations, plan changes), which yields the events
Stripe would send. The unique events plus 20% duplicates (2,000 by default) are shuffled
and POSTed, each signed with Stripe's scheme at send time, by 10 concurrent senders to
`/billing/webhook/` on gunicorn (2 sync workers, persistent database connections: the
production HTTP topology). The endpoint verifies, stores and queues; the worker processes,
re-reading each object from the stand-in over HTTP, as it would from Stripe.

Prints events/s and latency percentiles of the endpoint, how long until every event was
processed (end to end), errors, and the final-state check: every
subscription and invoice in the state its newest event says, every event stored once and
processed exactly once (zero double-processing). Baseline in the same run: a bare Django
view on the same server with the same senders.

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.webhooks

Targets: zero errors, zero double-processing, final state right, p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.api import start_server
from benchmarks.common import (
    OtherCpu,
    load_note,
    percentile,
    run_in_fresh_database,
    start_worker,
    stop_worker,
    table,
)

DB_NAME = "bench_webhooks"
SLUG = "bench"
HOST = f"{SLUG}.localhost"
KEY = "sk_test_bench_webhooks_0001"
SECRET = "whsec_bench_webhooks"
TARGET_P95_MS = 200.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="events sent, duplicates included")
    parser.add_argument("--duplicates", type=float, default=0.20, help="share of duplicates")
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--members", type=int, default=120)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--celery", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--worker-after",
        action="store_true",
        help="start the Celery worker only after the last response: the endpoint measured "
        "without processing competing for the same CPUs, then the drain",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the bench_webhooks database")
    return parser.parse_args()


# --- Stripe's side: what happened, as events -----------------------------------------


def simulate(standin, sessions: list[str], plan_prices: list[str], unique: int, rng) -> list:
    """Complete every checkout, then renewals (some failing, then retried), cancellations
    and plan changes at random until at least `unique` events exist. Returns the events in
    the order Stripe produced them."""
    from stripe import StripeClient

    client = StripeClient(KEY, base_addresses={"api": standin.url})
    events = []
    subs = []
    for session in sessions:
        events += standin.complete_checkout(KEY, session)
        subs.append(standin.get(KEY, session)["subscription"])
    open_invoices = []
    while len(events) < unique:
        sub_id = rng.choice(subs)
        sub = standin.get(KEY, sub_id)
        if sub["status"] == "canceled":
            continue
        roll = rng.random()
        mark = len(standin.account(KEY).events)
        if roll < 0.45:
            if rng.random() < 0.25:
                standin.fail_card(KEY, sub["customer"])
            events += standin.renew(KEY, sub_id)
            latest = standin.get(KEY, sub_id)["latest_invoice"]
            if latest and standin.get(KEY, latest)["status"] == "open":
                open_invoices.append(latest)
        elif roll < 0.65 and open_invoices:
            invoice = open_invoices.pop(rng.randrange(len(open_invoices)))
            if standin.get(KEY, invoice)["status"] == "open":
                events += standin.retry_invoice(KEY, invoice, pay=True)
        elif roll < 0.80:
            client.v1.subscriptions.update(
                sub_id, {"cancel_at_period_end": not sub["cancel_at_period_end"]}
            )
            events += standin.account(KEY).events[mark:]
        elif roll < 0.95 and sub["status"] == "active":
            current = sub["items"]["data"][0]["price"]["id"]
            other = rng.choice([p for p in plan_prices if p != current])
            client.v1.subscriptions.update(
                sub_id,
                {
                    "items": [{"id": sub["items"]["data"][0]["id"], "price": other}],
                    "proration_behavior": "create_prorations",
                },
            )
            events += standin.account(KEY).events[mark:]
        else:
            client.v1.subscriptions.cancel(sub_id)
            events += standin.account(KEY).events[mark:]
    return events


def expected_states(events: list[dict]) -> tuple[dict, dict]:
    """What the newest event of each subscription / invoice says (events are in order)."""
    subs, invoices = {}, {}
    for event in events:
        obj = event["data"]["object"]
        if obj["object"] == "subscription":
            subs[obj["id"]] = obj["status"]
        elif obj["object"] == "invoice":
            invoices[obj["id"]] = obj["status"]
    return subs, invoices


# --- Sending ---------------------------------------------------------------------------


def send_all(port: int, bodies: list[bytes], senders: int, sign) -> tuple[list, list, float]:
    """POST every body (signed now) with `senders` threads; (latencies ms, errors, seconds)."""
    work: queue.Queue = queue.Queue()
    for body in bodies:
        work.put(body)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            headers = {
                "Host": HOST,
                "Content-Type": "application/json",
                "Stripe-Signature": sign(body, SECRET),
            }
            started = time.perf_counter()
            try:
                conn.request("POST", "/billing/webhook/", body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                status, raw = 0, repr(exc).encode()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(f"{status} {raw[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - began


def baseline(port: int, requests: int, senders: int) -> tuple[list, list, float]:
    """The same senders against a bare Django view on the same server."""
    work: queue.Queue = queue.Queue()
    for _ in range(requests):
        work.put(None)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def sender() -> None:
        while True:
            try:
                work.get_nowait()
            except queue.Empty:
                break
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            started = time.perf_counter()
            conn.request("GET", "/bench/bare/", headers={"Host": HOST})
            response = conn.getresponse()
            response.read()
            conn.close()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    errors.append(str(response.status))

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - began


def wait_processed(gym, expected: int, timeout: float) -> float:
    """Seconds until `expected` events are processed (or the timeout)."""
    from django.db import connections
    from django_tenants.utils import tenant_context

    from apps.billing.models import WebhookEvent

    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        with tenant_context(gym):
            done = WebhookEvent.objects.filter(processed_at__isnull=False).count()
        connections.close_all()
        if done >= expected:
            break
        time.sleep(0.1)
    return time.perf_counter() - began


# --- Main --------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    return run_in_fresh_database(DB_NAME, args, run)


def run(args: argparse.Namespace, db_url: str) -> int:
    from django.conf import settings
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from apps.accounts.roles import Role
    from apps.accounts.services import user_create
    from apps.billing import stripe_api
    from apps.billing.models import Invoice, MemberSubscription, WebhookEvent
    from apps.billing.services import billing_settings_update, checkout_start, plan_create
    from apps.members.models import Member, MemberStatus
    from apps.members.services import member_create
    from apps.tenants.services import gym_create
    from devtools.stripe_standin import StripeStandin, sign

    rng = random.Random(args.seed)
    standin = StripeStandin()
    standin_url = standin.start()
    settings.STRIPE_API_BASE = standin_url
    stripe_api._clients.clear()  # noqa: SLF001 - a new API base needs new SDK clients
    os.environ["STRIPE_API_BASE"] = standin_url  # for the server's workers

    print("setting up: migrations, gym, plans, members, checkouts ...", flush=True)
    call_command("migrate_schemas", interactive=False, verbosity=0)
    gym = gym_create(
        name="Bench Gym",
        slug=SLUG,
        owner_email=f"owner@{HOST}",
        owner_password="Bench-pass-4-webhooks",
        owner_name="Bench Owner",
    )
    with tenant_context(gym):
        billing_settings_update(data={"secret_key": KEY, "webhook_secret": SECRET})
        plans = [
            plan_create(data={"name": n, "price_minor": p, "interval": "month", "tier": t})
            for n, p, t in [
                ("Basic", 2900, "basic"),
                ("Pro", 4900, "pro"),
                ("Pro+", 7900, "pro_plus"),
            ]
        ]
        sessions = []
        for n in range(args.members):
            user = user_create(
                email=f"m{n}@{HOST}", password=None, full_name=f"M {n}", role=Role.MEMBER
            )
            member = member_create(
                data={"first_name": f"M{n}", "email": f"m{n}@{HOST}", "status": MemberStatus.LEAD},
                user=user,
            )
            checkout = checkout_start(
                member=member,
                plan=rng.choice(plans),
                success_url=f"http://{HOST}/billing/return/",
                cancel_url=f"http://{HOST}/billing/return/",
            )
            sessions.append(checkout.stripe_session_id)
    from django.db import connections

    connections.close_all()

    unique_target = round(args.events * (1 - args.duplicates))
    events = simulate(standin, sessions, [p.stripe_price_id for p in plans], unique_target, rng)
    duplicates = [rng.choice(events) for _ in range(max(0, args.events - len(events)))]
    bodies = [json.dumps(e).encode() for e in events + duplicates]
    rng.shuffle(bodies)
    expected_subs, expected_invoices = expected_states(events)
    print(
        f"sending {len(bodies)} events ({len(events)} unique, {len(duplicates)} duplicates, "
        f"shuffled) with {args.senders} senders to gunicorn ({args.workers} sync workers); "
        f"Celery ({args.celery} processes) processes them",
        flush=True,
    )

    logdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    server = start_server("gunicorn", args.workers, db_url, True, logdir)
    worker = None if args.worker_after else start_worker(args.celery, db_url, logdir)
    try:
        base_lat, base_err, base_s = baseline(server.port, 500, args.senders)
        others = OtherCpu(DB_NAME)
        began = time.perf_counter()
        latencies, errors, seconds = send_all(server.port, bodies, args.senders, sign)
        if worker is None:
            worker = start_worker(args.celery, db_url, logdir)
        drain = wait_processed(gym, len(events), timeout=600)
        end_to_end = time.perf_counter() - began
        other_note = f"others {others.percent():.0f}% of one CPU ({others.top()})"
    finally:
        server.stop()
        if worker is not None:
            stop_worker(worker)

    with tenant_context(gym):
        stored = {e.event_id: e for e in WebhookEvent.objects.all()}
        db_subs = dict(MemberSubscription.objects.values_list("stripe_subscription_id", "status"))
        db_invoices = dict(Invoice.objects.values_list("stripe_invoice_id", "status"))
        members = {m.pk: m for m in Member.objects.all()}
        wrong_members = [
            s.member_id
            for s in MemberSubscription.objects.select_related("plan")
            if s.status == "active" and members[s.member_id].tier != s.plan.tier
        ]

    unique_ids = {e["id"] for e in events}
    double = [e for e in stored.values() if e.process_count > 1]
    unprocessed = [e for e in stored.values() if e.processed_at is None or e.error]
    wrong_subs = {k: (v, db_subs.get(k)) for k, v in expected_subs.items() if db_subs.get(k) != v}
    wrong_invoices = {
        k: (v, db_invoices.get(k)) for k, v in expected_invoices.items() if db_invoices.get(k) != v
    }
    checks = [
        [
            "events stored once each",
            f"{len(stored)} of {len(unique_ids)}",
            set(stored) == unique_ids,
        ],
        [
            "processed exactly once",
            f"{len(double)} double, {len(unprocessed)} not/failed",
            not double and not unprocessed,
        ],
        [
            "subscriptions as newest event says",
            f"{len(expected_subs) - len(wrong_subs)} of {len(expected_subs)}",
            not wrong_subs,
        ],
        [
            "invoices as newest event says",
            f"{len(expected_invoices) - len(wrong_invoices)} of {len(expected_invoices)}",
            not wrong_invoices,
        ],
        [
            "active members carry their plan's tier",
            f"{len(wrong_members)} wrong",
            not wrong_members,
        ],
        ["HTTP errors", str(len(errors)), not errors],
    ]
    print()
    print(
        table(
            ["run", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"],
            [
                [
                    "webhooks",
                    str(len(latencies)),
                    f"{len(latencies) / seconds:.0f}",
                    f"{percentile(latencies, 50):.1f}",
                    f"{percentile(latencies, 95):.1f}",
                    f"{percentile(latencies, 99):.1f}",
                    f"{max(latencies):.1f}",
                    str(len(errors)),
                ],
                [
                    "baseline: bare view",
                    str(len(base_lat)),
                    f"{len(base_lat) / base_s:.0f}",
                    f"{percentile(base_lat, 50):.1f}",
                    f"{percentile(base_lat, 95):.1f}",
                    f"{percentile(base_lat, 99):.1f}",
                    f"{max(base_lat):.1f}",
                    str(len(base_err)),
                ],
            ],
        )
    )
    print()
    print(
        table(
            ["final-state check", "result", "ok"],
            [[a, b, "yes" if c else "NO"] for a, b, c in checks],
        )
    )
    print()
    p95 = percentile(latencies, 95)
    print(
        f"endpoint: {len(latencies) / seconds:.0f} events/s, p95 {p95:.1f} ms "
        f"(target < {TARGET_P95_MS:.0f}); processing: all {len(events)} unique events done "
        f"{end_to_end:.1f} s after the first send ({len(events) / end_to_end:.0f} events/s end "
        f"to end; {drain:.1f} s after the last response), {args.celery} worker processes"
        + (" started after the last response" if args.worker_after else " running meanwhile")
    )
    print(f"{load_note()}; {other_note}")
    if errors:
        print("first errors:", *errors[:5], sep="\n  ")
    if wrong_subs:
        print("wrong subscriptions (expected, found):", list(wrong_subs.items())[:5])
    if wrong_invoices:
        print("wrong invoices (expected, found):", list(wrong_invoices.items())[:5])
    standin.stop()
    ok = all(c[2] for c in checks)
    print("RESULT:", "all checks passed" if ok else "CHECKS FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
