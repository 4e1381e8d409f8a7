"""Fixtures for class bookings: sessions and members with logins, in a given gym."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.bookings.models import BookingPolicy, ClassSession, ClassType
from tests.factories import MemberFactory, UserFactory

_names = itertools.count(1)


def new_session(*, starts_in=timedelta(days=1), capacity=10, required_tier="free", **kwargs):
    """A class type and one session of it, in the current schema."""
    class_type = ClassType.objects.create(
        name=f"Class {next(_names)}",
        capacity=capacity,
        required_tier=required_tier,
        duration_minutes=60,
    )
    starts_at = kwargs.pop("starts_at", None) or timezone.now() + starts_in
    return ClassSession.objects.create(
        class_type=class_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        capacity=capacity,
        **kwargs,
    )


def new_member(**kwargs):
    """A member with an app login, in the current schema."""
    n = next(_names)
    user = UserFactory(role=Role.MEMBER, email=f"booker{n}@example.test")
    return MemberFactory(user=user, email=f"booker{n}@example.test", **kwargs)


@pytest.fixture
def make_session():
    def make(gym, **kwargs):
        with tenant_context(gym):
            return new_session(**kwargs)

    return make


@pytest.fixture
def make_booker():
    def make(gym, **kwargs):
        with tenant_context(gym):
            return new_member(**kwargs)

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
    from apps.bookings.cache import _bump, local_rows, version_key
    from apps.tenants.validators import schema_name_for

    local_rows.clear()
    for slug in ("gym-a", "gym-b"):
        _bump(version_key(schema_name_for(slug)))
