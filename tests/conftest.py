"""Shared fixtures: two gyms (A and B) made once per test session by the real provisioning
service (template clone), plus helpers to act as a user of either gym."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers
from django.db import connection
from django.test import Client
from django.test.utils import teardown_databases
from django_tenants.utils import tenant_context
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.members.models import Member
from apps.tenants.middleware import gym_cache_clear
from apps.tenants.models import Gym
from tests.factories import MemberFactory, UserFactory
from tests.template_db import prepare_test_database


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker):
    """The test database, always set up, with gyms A and B (tests/template_db.py: cloned
    from a template database kept between runs, rebuilt when migrations change).

    pytest-django's own fixture sets up only the databases that tests *marked* for the
    database ask for; tests with committed data (`committed`) carry no mark, and run alone
    they would have used the development database. This one always switches.
    """
    with django_db_blocker.unblock():
        ready = prepare_test_database(rebuild=request.config.getoption("create_db"))
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(ready.message)
    db_cfg = ready.old_names
    yield
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            # Consumers' worker threads keep connections open; drop them so the test
            # database can be destroyed.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        teardown_databases(db_cfg, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    # channels-redis keeps asyncio locks from the event loop that first used the layer;
    # a receive left pending when a test's loop closed (a socket or hub not disconnected)
    # would make the next test's loop fail with "bound to a different event loop".
    # Production has one loop per process; each test gets its own layer instead.
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _public_schema_around_each_test():
    # Tests change gyms straight in the database, so no gym may come from the per-process
    # host cache of an earlier test. Within a test the cache works as in production.
    gym_cache_clear()
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def gym_a(db) -> Gym:
    return Gym.objects.get(slug="gym-a")


@pytest.fixture
def gym_b(db) -> Gym:
    return Gym.objects.get(slug="gym-b")


def host(gym: Gym) -> str:
    return f"{gym.slug}.localhost"


@pytest.fixture
def make_user():
    def make(gym: Gym, role: str = Role.OWNER, **kwargs):
        with tenant_context(gym):
            return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def make_member():
    def make(gym: Gym, **kwargs):
        with tenant_context(gym):
            return MemberFactory(**kwargs)

    return make


@pytest.fixture
def web():
    """web(gym, user=None) -> a Django test client on the gym's host, logged in as user."""

    def make(gym: Gym | None, user=None) -> Client:
        client = Client(HTTP_HOST=host(gym) if gym else "localhost")
        if user is not None:
            with tenant_context(gym):
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def api():
    """api(gym, user=None) -> a DRF test client on the gym's host, logged in as user."""

    def make(gym: Gym | None, user=None) -> APIClient:
        client = APIClient(HTTP_HOST=host(gym) if gym else "localhost")
        if user is not None:
            with tenant_context(gym):
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Committed data, for code that runs on other connections (consumers' threads,
    Celery workers); removed after the test.

    Not `django_db(transaction=True)`: its flush would empty the public schema and with
    it the session's gyms.
    """
    with django_db_blocker.unblock():
        assert connection.settings_dict["NAME"].startswith("test_"), "not the test database"
        yield
        for gym in Gym.objects.filter(slug__in=["gym-a", "gym-b"]):
            with tenant_context(gym):
                Member.objects.all().delete()
                User.objects.exclude(email__startswith="owner@").delete()
        Gym.objects.filter(slug__in=["gym-a", "gym-b"]).update(active_member_count=0)


@pytest.fixture
def committed_gym_a(committed) -> Gym:
    return Gym.objects.get(slug="gym-a")


@pytest.fixture
def committed_gym_b(committed) -> Gym:
    return Gym.objects.get(slug="gym-b")
