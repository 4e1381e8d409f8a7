"""Fixtures for class bookings: sessions and members with logins, in a given gym."""

import pytest
from django_tenants.utils import tenant_context

from apps.bookings.cache import _bump, local_rows, version_key
from apps.bookings.models import BookingPolicy
from apps.tenants.validators import schema_name_for
from tests.bookings.factories import ClassSessionFactory
from tests.factories import MemberWithLoginFactory


@pytest.fixture
def make_session():
    def make(gym, **kwargs):
        with tenant_context(gym):
            return ClassSessionFactory(**kwargs)

    return make


@pytest.fixture
def make_booker():
    def make(gym, **kwargs):
        with tenant_context(gym):
            return MemberWithLoginFactory(**kwargs)

    return make


@pytest.fixture
def policy():
    """policy(gym, **changes) -> the gym's policy with these values saved."""

    def change(gym, **values):
        with tenant_context(gym):
            policy = BookingPolicy.load()
            for key, value in values.items():
                setattr(policy, key, value)
            policy.save()
            return policy

    return change


@pytest.fixture(autouse=True)
def _no_ai_unless_asked(settings):
    """Matching uses the weighted score unless a test configures the embeddings stand-in
    (a developer's OPENAI_API_KEY must not reach a real endpoint from the suite)."""
    settings.OPENAI_API_KEY = ""


@pytest.fixture(autouse=True)
def _fresh_timetable_cache():
    """The timetable cache is on (as in production). Rows cached by an earlier test were
    of rows rolled back since: start each test on a new version, with no rows in memory.
    (Bumped straight in Redis: no database, so committed-data tests stay outside a
    transaction.)"""

    local_rows.clear()
    for slug in ("gym-a", "gym-b"):
        _bump(version_key(schema_name_for(slug)))
