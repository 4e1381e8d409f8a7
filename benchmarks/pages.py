"""Server time of the staff dashboard's busiest pages with the living demo data.

Seeds what `make run` seeds (config.devstack.DEMO_SEEDS, with the Stripe stand-in as
make run's Stripe, so billing has six months of history) into a database of its own
(bench_pages, made afresh and dropped at the end), signs the demo owner in and sends each
page one request after another through Django's test Client (the whole middleware stack,
the tenant lookup, the view, the template; no HTTP server), next to a plain Django view
as the baseline measured in the same run:

    bare          /bench/bare/ (middleware + tenant lookup only)
    overview      /dashboard/
    billing       /dashboard/billing/
    assessments   /dashboard/assessments/

and prints per page the median and p95 wall time, the CPU of this process and the number
of queries. Target (issue 15): each page's p95 < 300 ms.

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.pages
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

from benchmarks.common import (
    OtherCpu,
    bench_database_url,
    django_setup,
    load_note,
    median,
    percentile,
    run_in_fresh_database,
    steal_seconds,
    table,
)

DB_NAME = "bench_pages"
TARGET_MS = 300.0
HOST = "demo.localhost"
PAGES = {
    "bare": "/bench/bare/",
    "overview": "/dashboard/",
    "billing": "/dashboard/billing/",
    "assessments": "/dashboard/assessments/",
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    return parser.parse_args(argv)


def seed() -> None:
    from django.core.management import call_command

    from config.devstack import DEMO_SEEDS

    call_command("migrate_schemas", interactive=False, verbosity=0)
    for command in DEMO_SEEDS:
        call_command(command, stdout=io.StringIO())


def owner_client():
    """The demo owner signed in through the login form (the real path: a session made
    with force_login lacks what the tenant-bound session check looks for)."""
    from django.test import Client

    from apps.members.management.commands.seed_demo import PASSWORD

    client = Client(HTTP_HOST=HOST)
    response = client.post(
        "/accounts/login/", {"login": "owner@demo.localhost", "password": PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"the demo owner could not sign in ({response.status_code})")
    return client


def measure(client, path: str, requests: int, warmup: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} {response.get('Location')}")
    walls, cpus = [], []
    for _ in range(requests):
        cpu, wall = time.process_time(), time.perf_counter()
        client.get(path)
        walls.append(1000 * (time.perf_counter() - wall))
        cpus.append(1000 * (time.process_time() - cpu))
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return {
        "median": median(walls),
        "p95": percentile(walls, 95),
        "cpu": median(cpus),
        "queries": len(queries),
    }


def run(args: argparse.Namespace, _db_url: str) -> int:
    began = time.perf_counter()
    if not args.reuse:
        seed()
    print(f"set-up (migrate + demo seeds): {time.perf_counter() - began:.1f} s", flush=True)
    client = owner_client()
    other = OtherCpu(DB_NAME)
    steal = steal_seconds()
    wall = time.perf_counter()
    results = {
        name: measure(client, path, args.requests, args.warmup) for name, path in PAGES.items()
    }
    elapsed = time.perf_counter() - wall
    rows = []
    failed = False
    for name, r in results.items():
        verdict = ""
        if name != "bare":
            ok = r["p95"] < TARGET_MS
            failed |= not ok
            verdict = "PASS" if ok else "FAIL"
        rows.append(
            [
                name,
                f"{r['median']:.1f}",
                f"{r['p95']:.1f}",
                f"{r['cpu']:.1f}",
                r["queries"],
                verdict,
            ]
        )
    print(
        table(["page", "median ms", "p95 ms", "cpu ms", "queries", f"p95 < {TARGET_MS:.0f}"], rows)
    )
    print(
        f"{load_note()}; steal {100 * (steal_seconds() - steal) / elapsed:.0f}% of a CPU; "
        f"other processes {other.percent():.0f}% of a CPU ({other.top()})"
    )
    print("FAIL" if failed else "PASS", "pages")
    return 1 if failed else 0


def stripe_standin():
    """The Stripe stand-in, and the environment make run gives the seed to reach it (set
    before Django reads its settings)."""
    from config import devstack
    from devtools.stripe_standin import StripeStandin

    server = StripeStandin()
    os.environ.update(
        STRIPE_API_BASE=server.start(),
        PLATFORM_STRIPE_SECRET_KEY=devstack.STANDIN_PLATFORM_KEY,
        STRIPE_CONNECT_WEBHOOK_SECRET=devstack.STANDIN_CONNECT_SECRET,
        PLATFORM_STRIPE_WEBHOOK_SECRET=devstack.STANDIN_PLATFORM_SECRET,
    )
    return server


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f"Dashboard pages with the demo data: database {DB_NAME}; {load_note()}", flush=True)
    if not args.reuse:
        stripe_standin()  # a daemon thread: gone with the process
    if args.reuse:
        url = bench_database_url(DB_NAME)
        django_setup(url)
        return run(args, url)
    return run_in_fresh_database(DB_NAME, args, run)


if __name__ == "__main__":
    sys.exit(main())
