"""enqueue_on_commit: a task queued by name runs only after commit, never after a
rollback, in the schema it was queued from, and a broker outage is logged, not raised."""

import logging

import pytest
from celery import shared_task
from django.db import connection, transaction
from django_tenants.utils import tenant_context
from kombu.exceptions import OperationalError as KombuOperationalError

from apps.common.queue import enqueue_on_commit

ran: list[tuple] = []


@shared_task(name="tests.common.test_queue.record")
def record(value, *, label=""):
    ran.append((connection.schema_name, value, label))
    return value


@pytest.fixture(autouse=True)
def _clear():
    ran.clear()
    yield
    ran.clear()


def test_the_task_is_queued_only_when_the_transaction_commits(
    gym_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), tenant_context(gym_a):
        with transaction.atomic():
            enqueue_on_commit("tests.common.test_queue.record", 1, label="one")
            assert ran == []  # not while the transaction is open
        assert ran == []  # nor when the inner block ends: the test's transaction is open
    assert ran == [(gym_a.schema_name, 1, "one")]


def test_nothing_is_queued_when_the_transaction_rolls_back(
    gym_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, tenant_context(gym_a):
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue_on_commit("tests.common.test_queue.record", 2)
            raise RuntimeError("rolled back")
    assert callbacks == [] and ran == []


def test_the_task_runs_in_the_schema_it_was_queued_from(
    gym_a, gym_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with tenant_context(gym_a):
            enqueue_on_commit("tests.common.test_queue.record", "a")
        with tenant_context(gym_b):
            enqueue_on_commit("tests.common.test_queue.record", "b")
    # Sent from the public schema: only the `_schema_name` header can take each task to
    # its gym.
    assert connection.schema_name == "public"
    for callback in callbacks:
        callback()
    assert ran == [(gym_a.schema_name, "a", ""), (gym_b.schema_name, "b", "")]
    assert connection.schema_name == "public"


def test_a_broker_outage_is_logged_and_not_raised(
    gym_a, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(record, "apply_async", broker_down)
    with caplog.at_level(logging.WARNING, logger="apps.common.queue"):
        with django_capture_on_commit_callbacks(execute=True), tenant_context(gym_a):
            enqueue_on_commit("tests.common.test_queue.record", 3)
    assert ran == []
    [message] = [r.getMessage() for r in caplog.records if r.name == "apps.common.queue"]
    assert "tests.common.test_queue.record(3,)" in message and gym_a.schema_name in message
