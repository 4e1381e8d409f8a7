"""The test database, cloned from a template database kept between runs.

Migrating every schema (public, the gym template) and provisioning gyms A and B costs
seconds today and grows with every migration (dj-stripe alone: about a minute). The
result depends only on the migration files, a few settings and the provisioning code, so
it is built once, copied to a template database named after a hash of those inputs
(`tmpl_<test db>_<hash>`), and each later run makes its test database with
`CREATE DATABASE ... TEMPLATE`, which copies files and takes about a second.

The template is snapshotted right after a fresh set-up, before any test runs, so it holds
exactly what a fresh set-up holds. It refuses connections (ALLOW_CONNECTIONS false), so
nothing can hold it open while it is copied. A changed input makes a new key: the next
run builds a new template and keeps only the newest older one (switching branches back
and forth does not rebuild each time). `pytest --create-db` rebuilds regardless.

If the set-up starts to depend on another file or setting, add it to SETUP_SOURCES or
SCHEMA_SETTINGS below, or a stale template will hide the change.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import setup_databases
from psycopg import sql

from apps.tenants.services import gym_create
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent

# The gyms every test session starts with (slug, name).
GYMS = [("gym-a", "Gym A"), ("gym-b", "Gym B")]

# Code that decides what the set-up writes, besides the migrations themselves.
SETUP_SOURCES = [
    "tests/template_db.py",
    "apps/tenants/services.py",
    "apps/tenants/template_schema.py",
    "apps/tenants/validators.py",
    "apps/tenants/management/commands/migrate_schemas.py",
    "apps/accounts/roles.py",
    "apps/accounts/services.py",
]
# Settings that shape the schemas or the rows the set-up writes.
SCHEMA_SETTINGS = [
    "INSTALLED_APPS",
    "SHARED_APPS",
    "TENANT_APPS",
    "TENANT_MODEL",
    "TENANT_DOMAIN_MODEL",
    "TENANT_BASE_SCHEMA",
    "TENANT_CREATION_FAKES_MIGRATIONS",
    "PLATFORM_DOMAIN",
    "AUTH_USER_MODEL",
    "PASSWORD_HASHERS",
    "DEFAULT_AUTO_FIELD",
    "MIGRATION_MODULES",
    "LANGUAGE_CODE",
]
# Packages whose code (not only their migration files) runs migrations and clones schemas.
SETUP_PACKAGES = ["django", "django-tenants", "psycopg"]
KEEP_OLD_TEMPLATES = 1
USED = "; last used "


@dataclass
class Ready:
    """What the session fixture needs: how to tear down, and a line to print."""

    old_names: list
    message: str


def _migration_files() -> list[tuple[str, Path]]:
    """Every migration file of every installed app (ours and third-party ones)."""
    files = []
    for app in apps.get_app_configs():
        module_name, _explicit = MigrationLoader.migrations_module(app.label)
        if module_name is None:
            continue
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            files += [(app.label, path) for path in sorted(Path(folder).rglob("*.py"))]
    return files


def template_key(server_version: str) -> str:
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + len(data).to_bytes(8, "big") + data)

    for label, path in _migration_files():
        add(f"migration {label} {path.name}", path.read_bytes())
    for name in SETUP_SOURCES:
        add(f"source {name}", (ROOT / name).read_bytes())
    for name in SCHEMA_SETTINGS:
        add(f"setting {name}", repr(getattr(settings, name, None)).encode())
    for name in SETUP_PACKAGES:
        add(f"package {name}", importlib.metadata.version(name).encode())
    add("gyms", repr((GYMS, PASSWORD)).encode())
    add("server", server_version.encode())
    return digest.hexdigest()[:12]


def provision_gyms() -> None:
    for slug, name in GYMS:
        gym_create(
            name=name,
            slug=slug,
            owner_email=f"owner@{slug}.test",
            owner_password=PASSWORD,
            owner_name=f"Owner {name}",
        )


def _maintenance() -> psycopg.Connection:
    """A connection to the server's `postgres` database, outside the test databases."""
    db = connection.settings_dict
    params = {
        key: value
        for key, value in {
            "host": db["HOST"],
            "port": db["PORT"],
            "user": db["USER"],
            "password": db["PASSWORD"],
        }.items()
        if value
    }
    return psycopg.connect(dbname="postgres", autocommit=True, **params)


def _templates(cur, test_name: str) -> dict[str, str]:
    """This suite's templates (name -> comment), finished or half-built."""
    cur.execute(
        "SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '') "
        "FROM pg_database WHERE datname ~ %s",
        [f"^tmpl_{test_name}_[0-9a-f]{{12}}(_new)?$"],
    )
    return dict(cur.fetchall())


def _describe(cur, template: str, built: str) -> None:
    """The template's comment: when it was built (shown) and last used (orders the drops)."""
    used = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    cur.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(template), sql.Literal(f"{built}{USED}{used}")
        )
    )


def _drop_stale(cur, test_name: str, keep: str) -> None:
    """Drop half-built templates and all but the KEEP_OLD_TEMPLATES last used older ones."""
    others = {n: c for n, c in _templates(cur, test_name).items() if n != keep}
    finished = sorted(
        (c.partition(USED)[2], n) for n, c in others.items() if not n.endswith("_new")
    )
    kept = {n for _c, n in finished[-KEEP_OLD_TEMPLATES:]} if KEEP_OLD_TEMPLATES else set()
    for name in others:
        if name not in kept:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _use_test_database(test_name: str) -> list:
    """Point the default connection at an existing test database, as create_test_db does."""
    old_name = connection.settings_dict["NAME"]
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    connection.ensure_connection()
    return [(connection, old_name, True)]


def prepare_test_database(*, rebuild: bool = False) -> Ready:
    """Create the test database (from the template when it is current) and say how."""
    started = time.monotonic()
    test_name = (
        connection.settings_dict["TEST"]["NAME"] or f"test_{connection.settings_dict['NAME']}"
    )
    with _maintenance() as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version_num")
        template = f"tmpl_{test_name}_{template_key(cur.fetchone()[0])}"
        comment = _templates(cur, test_name).get(template)
        if comment is not None and not rebuild:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(test_name))
            )
            cur.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(test_name), sql.Identifier(template)
                )
            )
            built = comment.partition(USED)[0]
            _describe(cur, template, built)
            _drop_stale(cur, test_name, keep=template)
            old_names = _use_test_database(test_name)
            return Ready(
                old_names,
                f"test database ready in {time.monotonic() - started:.1f} s "
                f"(from template {template}, {built})",
            )

    # No current template: set up as before, then keep a copy of the result.
    old_names = setup_databases(
        verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=[]
    )
    provision_gyms()
    built_in = time.monotonic() - started
    connection.close()
    building = f"{template}_new"
    with _maintenance() as conn, conn.cursor() as cur:
        # CREATE DATABASE ... TEMPLATE needs the source without other connections.
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [test_name],
        )
        for name in (building, template):
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        cur.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(building), sql.Identifier(test_name)
            )
        )
        built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        _describe(cur, building, f"built {built} in {built_in:.0f} s")
        cur.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(
                sql.Identifier(building)
            )
        )
        # Renamed only once complete: an interrupted build never passes for a template.
        cur.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(building), sql.Identifier(template)
            )
        )
        _drop_stale(cur, test_name, keep=template)
    connection.ensure_connection()
    return Ready(
        old_names,
        f"test database built afresh in {built_in:.1f} s "
        f"(saved as template {template} in {time.monotonic() - started - built_in:.1f} s)",
    )
