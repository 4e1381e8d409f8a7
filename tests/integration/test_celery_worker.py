"""A real Celery worker on the real Redis broker runs a fanned-out job in each gym's schema."""

import os
import subprocess
import sys
import time
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from apps.members.services import member_create
from apps.tenants.models import Gym
from apps.tenants.tasks import fan_out
from config.celery import app


def _worker_env() -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    # The worker must use the test database this session created.
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    return env


def test_beat_job_fans_out_through_the_broker_to_each_gym(committed_gym_a, committed_gym_b):
    with tenant_context(committed_gym_a):
        for status in ("active", "active", "trial", "lead"):
            member_create(data={"first_name": status, "status": status})
    with tenant_context(committed_gym_b):
        member_create(data={"first_name": "b", "status": "active"})

    app.conf.task_always_eager = False
    worker = None
    try:
        fan_out.delay("apps.members.tasks.refresh_gym_stats")
        # Nothing ran in this process: the job waits in Redis for a worker.
        assert set(
            Gym.objects.filter(slug__in=["gym-a", "gym-b"]).values_list(
                "active_member_count", flat=True
            )
        ) == {0}
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "--quiet",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
            ],
            cwd=settings.BASE_DIR,
            env=_worker_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        counts = None
        while time.monotonic() < deadline:
            counts = dict(
                Gym.objects.filter(slug__in=["gym-a", "gym-b"]).values_list(
                    "slug", "active_member_count"
                )
            )
            if counts == {"gym-a": 3, "gym-b": 1}:
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.3)
        assert counts == {"gym-a": 3, "gym-b": 1}
    finally:
        app.conf.task_always_eager = True
        if worker is not None:
            worker.terminate()
            worker.wait(20)
