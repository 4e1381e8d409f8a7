"""Provisioning speed: gyms cloned from the template schema vs gyms migrated from empty.

Both go through the product's own path, `apps.tenants.services.gym_create` (schema, gym,
domain, owner with a password, in one transaction); the migrated gyms run it with
TENANT_CREATION_FAKES_MIGRATIONS=False, so django-tenants runs every tenant migration
instead of cloning. Works in a database of its own (bench_provision), made afresh and
dropped at the end (--keep keeps it).

    .venv/bin/python -m config.devstack exec -- .venv/bin/python -m benchmarks.provision

Targets: cloning >= 5x faster than migrating, and < 2 s per gym (median) on this machine.
The two kinds are made alternately, so that the growing catalog and any other load on the
machine weigh on both alike. Each gym's parts are timed by wrapping (not changing)
clone_schema(), the migrate_schemas call and the owner's creation.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time

from benchmarks.common import (
    OtherCpu,
    database_drop,
    database_recreate,
    django_setup,
    load_note,
    median,
    percentile,
    table,
)

DB_NAME = "bench_provision"
PASSWORD = "Bench-pass-4-provisioning"
PHASES = ("clone fn", "clone SQL", "migrate", "owner")
TARGET_RATIO = 5.0
TARGET_CLONE_S = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gyms", type=int, default=20, help="gyms to clone (default 20)")
    parser.add_argument(
        "--plain-gyms", type=int, default=20, help="gyms to migrate from empty (default 20)"
    )
    parser.add_argument(
        "--plain-budget",
        type=float,
        default=240.0,
        help="start no further migrated gym after this many seconds (default 240)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench_provision database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, too")
    return parser.parse_args()


def timed(phases: dict[str, float], name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def instrument(phases: dict[str, float]) -> None:
    """Time the parts of gym_create without changing what it does."""
    import django_tenants.models as tenant_models
    from django_tenants.clone import CloneSchema

    import apps.tenants.services as tenant_services

    CloneSchema.clone_schema = timed(phases, "clone SQL", CloneSchema.clone_schema)
    # django-tenants' own step, timed where it is defined (it has no public hook).
    CloneSchema._create_clone_schema_function = timed(  # noqa: SLF001
        phases,
        "clone fn",
        CloneSchema._create_clone_schema_function,  # noqa: SLF001
    )
    tenant_models.call_command = timed(phases, "migrate", tenant_models.call_command)
    tenant_services.user_create = timed(phases, "owner", tenant_services.user_create)


def create_gym(slug: str, phases: dict) -> dict:
    from apps.tenants.services import gym_create

    phases.clear()
    others = OtherCpu(DB_NAME)
    start = time.perf_counter()
    gym = gym_create(
        name=f"Bench {slug}",
        slug=slug,
        owner_email=f"owner@{slug}.test",
        owner_password=PASSWORD,
        owner_name="Bench Owner",
    )
    total = time.perf_counter() - start
    other_cpu = others.percent()
    steal = others.steal_percent()
    parts = {name: phases.get(name, 0.0) for name in PHASES}
    # clone_schema() = (re)creating the clone_schema() SQL function + running it.
    parts["clone SQL"] -= parts["clone fn"]
    parts["other"] = total - sum(parts.values())
    print(
        f"  {slug}: {total:5.2f} s  ("
        + ", ".join(f"{name} {parts[name]:.2f}" for name in (*PHASES, "other"))
        + f")  other CPU {other_cpu:.0f}%, steal {steal:.0f}%",
        flush=True,
    )
    return {"gym": gym, "total": total, "other_cpu": other_cpu, **parts}


def verify(runs: list) -> list[str]:
    """Every gym has the template's tables and recorded migrations, one owner, the roles."""
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder
    from django_tenants.utils import schema_context, tenant_context

    from apps.accounts.models import User

    def recorded() -> set[str]:
        rows = MigrationRecorder.Migration.objects.values_list("app", "name")
        return {f"{app}.{name}" for app, name in rows}

    template = settings.TENANT_BASE_SCHEMA
    schemas = [template] + [run["gym"].schema_name for run in runs]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s)",
            [schemas],
        )
        tables: dict[str, set[str]] = {}
        for schema, name in cursor.fetchall():
            tables.setdefault(schema, set()).add(name)
    with schema_context(template):
        expected = recorded()
    problems = []
    for run in runs:
        gym = run["gym"]
        with tenant_context(gym):
            migrations = recorded()
            owners = User.objects.filter(role="owner").count()
            groups = Group.objects.count()
        for what, got, want in [
            ("tables", tables.get(gym.schema_name, set()), tables.get(template, set())),
            ("migrations", migrations, expected),
        ]:
            if got != want:
                problems.append(
                    f"{gym.schema_name}: {what} not in the template: {sorted(got - want)}; "
                    f"missing: {sorted(want - got)}"
                )
        if owners != 1 or groups != 5:
            problems.append(f"{gym.schema_name}: {owners} owners, {groups} role groups")
    return problems


def row(method: str, runs: list) -> list[str]:
    totals = [run["total"] for run in runs]
    return [
        method,
        str(len(runs)),
        f"{median(totals):.2f}",
        f"{percentile(totals, 90):.2f}",
        f"{min(totals):.2f}",
        f"{max(totals):.2f}",
        *(f"{median([run[p] for run in runs]):.2f}" for p in (*PHASES, "other")),
    ]


def main() -> int:
    args = parse_args()
    print(f"Provisioning benchmark: database {DB_NAME}; {load_note()}", flush=True)
    django_setup(database_recreate(DB_NAME))
    try:
        return run(args)
    finally:
        if not args.keep:
            database_drop(DB_NAME)


def run(args: argparse.Namespace) -> int:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.test.utils import override_settings

    start = time.perf_counter()
    call_command("migrate_schemas", interactive=False, verbosity=0)
    migrate_all = time.perf_counter() - start
    print(f"migrate_schemas on a fresh database (public + template): {migrate_all:.1f} s")
    hashing = []
    for _ in range(3):
        start = time.perf_counter()
        make_password(PASSWORD)
        hashing.append(time.perf_counter() - start)
    hashing = median(hashing)

    phases: dict[str, float] = {}
    instrument(phases)
    others = OtherCpu(DB_NAME)
    print(
        f"Creating {args.gyms} gyms by cloning and up to {args.plain_gyms} by migrating, "
        f"interleaved (no migrated gym started after {args.plain_budget:.0f} s of them); "
        "seconds per part in brackets, then the CPU that other processes and the hypervisor "
        "took meanwhile (% of one CPU):",
        flush=True,
    )
    plain, clone = [], []
    plain_seconds = 0.0
    for i in range(max(args.gyms, args.plain_gyms)):
        if i < args.plain_gyms and plain_seconds <= args.plain_budget:
            with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
                plain.append(create_gym(f"plain-{i:03d}", phases))
            plain_seconds += plain[-1]["total"]
        if i < args.gyms:
            clone.append(create_gym(f"clone-{i:03d}", phases))

    problems = verify(plain + clone)
    clone_median = median([r["total"] for r in clone])
    plain_median = median([r["total"] for r in plain])
    ratio = plain_median / clone_median
    # The schema step alone (the owner account costs the same either way).
    plain_schema = median([r["clone fn"] + r["clone SQL"] + r["migrate"] for r in plain])
    clone_schema = median([r["clone fn"] + r["clone SQL"] + r["migrate"] for r in clone])

    print()
    print(
        table(
            [
                "method",
                "gyms",
                "median s",
                "p90 s",
                "min s",
                "max s",
                "clone fn",
                "clone SQL",
                "migrate",
                "owner",
                "other",
            ],
            [row("migrate (plain)", plain), row("clone (template)", clone)],
        )
    )
    print(
        "(s per gym; the last five columns are medians of gym_create's parts: re-creating the "
        "clone_schema() SQL function,\n running it, migrate_schemas --schema (real, or --fake "
        "after a clone, + role groups), the owner account\n (password hashing alone: "
        f"{hashing:.2f} s), and the rest: gym and domain rows, commit)"
    )
    print("clone times in creation order: " + " ".join(f"{r['total']:.2f}" for r in clone))
    print(f"ratio migrate/clone (medians of the whole gym_create): {ratio:.1f}x")
    print(
        f"ratio of the schema step alone (clone fn + clone SQL + migrate): {plain_schema:.2f} s / "
        f"{clone_schema:.2f} s = {plain_schema / clone_schema:.1f}x"
    )
    if len(plain) < args.plain_gyms:
        print(f"(only {len(plain)} of {args.plain_gyms} migrated gyms fit the time budget)")
    results = [
        (f"cloning >= {TARGET_RATIO:.0f}x faster than migrating", ratio >= TARGET_RATIO),
        (f"clone < {TARGET_CLONE_S:.0f} s per gym (median)", clone_median < TARGET_CLONE_S),
        ("every gym complete (tables, migrations, owner, roles)", not problems),
    ]
    for label, ok in results:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    for problem in problems:
        print(f"  {problem}")
    print(load_note())
    print(
        f"CPU used by processes outside the benchmark while it created gyms: "
        f"{others.percent():.0f}% of one CPU (of 2), the most: {others.top()}; "
        f"hypervisor steal {others.steal_percent():.0f}%"
    )
    # Exit 1 when something broke; a missed target only with --strict (so `make bench`
    # runs both benchmarks).
    if problems or (args.strict and not all(ok for _label, ok in results)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
