#!/bin/sh
# Container entry point. The first argument is the role:
#
#   web      gunicorn (WSGI) for all HTTP: sync Django with persistent DB connections
#   ws       uvicorn (ASGI) for the WebSocket routes only (/ws/; the proxy sends them here)
#   worker   Celery worker
#   beat     Celery beat: run EXACTLY ONE for the whole platform
#   migrate  migrate_schemas (public, template, every gym) and exit: a release job
#
# Anything else is run as given (e.g. `python manage.py shell`), without waiting.
# Every role waits for PostgreSQL and Redis first. `web` migrates before it serves
# unless MIGRATE_ON_START=0 (set that when a `migrate` job runs at release instead).
set -eu

role="${1:-web}"

wait_for_services() {
    python - <<'PY'
import os
import sys
import time

import django

django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

timeout = float(os.environ.get("WAIT_FOR_SERVICES_TIMEOUT", "90"))
deadline = time.monotonic() + timeout


def wait(name, check):
    while True:
        try:
            check()
            return
        except Exception as exc:  # noqa: BLE001 - anything means "not yet"
            if time.monotonic() > deadline:
                sys.exit(f"entrypoint: {name} not reachable after {timeout:.0f} s: {exc}")
            print(f"entrypoint: waiting for {name} ({exc.__class__.__name__})", flush=True)
            time.sleep(2)


def database():
    connection.ensure_connection()
    connection.close()


wait("PostgreSQL", database)
wait("Redis", lambda: redis.Redis.from_url(settings.REDIS_URL, socket_timeout=3).ping())
PY
}

migrate() {
    # A session-level advisory lock serializes concurrent starts (several web
    # containers, or web + a migrate job): one migrates, the others wait, then find
    # nothing to do.
    python - <<'PY'
import subprocess
import sys

import django

django.setup()

from django.db import connections  # noqa: E402

MIGRATION_LOCK = 7_146_202_401  # any constant shared by every container of this app

lock = connections.create_connection("default")
with lock.cursor() as cursor:
    cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
try:
    code = subprocess.call([sys.executable, "manage.py", "migrate_schemas", "--noinput"])
finally:
    lock.close()
sys.exit(code)
PY
}

case "$role" in
web)
    wait_for_services
    if [ "${MIGRATE_ON_START:-1}" = "1" ]; then
        migrate
    fi
    # Sync workers behind a buffering proxy; CONN_MAX_AGE (DATABASE_CONN_MAX_AGE) keeps
    # one DB connection per worker open across requests.
    exec gunicorn config.wsgi:application \
        --bind 0.0.0.0:8000 \
        --workers "${WEB_CONCURRENCY:-2}" \
        --timeout "${GUNICORN_TIMEOUT:-30}" \
        --graceful-timeout 30 \
        --max-requests 2000 \
        --max-requests-jitter 200 \
        --worker-tmp-dir /dev/shm \
        --forwarded-allow-ips '*' \
        --no-control-socket \
        --access-logfile -
    ;;
ws)
    wait_for_services
    # Django's ASGI handler has no lifespan support; DB connections must not be
    # persistent here (compose sets DATABASE_CONN_MAX_AGE=0 for this service).
    # Socket messages are a few hundred bytes of JSON: compressing each one for each
    # dashboard cost more CPU than it saved bytes (benchmarks/kiosk.py), so no deflate.
    exec uvicorn config.asgi:application \
        --host 0.0.0.0 \
        --port 8001 \
        --workers "${WS_WORKERS:-1}" \
        --ws-per-message-deflate false \
        --lifespan off \
        --proxy-headers \
        --forwarded-allow-ips '*' \
        --timeout-graceful-shutdown 30 \
        --no-access-log
    ;;
worker)
    wait_for_services
    exec celery -A config worker \
        --loglevel "${CELERY_LOG_LEVEL:-INFO}" \
        --concurrency "${CELERY_CONCURRENCY:-2}" \
        --max-tasks-per-child "${CELERY_MAX_TASKS_PER_CHILD:-200}"
    ;;
beat)
    wait_for_services
    # The schedule lives in the database (django_celery_beat); no local state file.
    exec celery -A config beat --loglevel "${CELERY_LOG_LEVEL:-INFO}"
    ;;
migrate)
    wait_for_services
    migrate
    ;;
*)
    exec "$@"
    ;;
esac
