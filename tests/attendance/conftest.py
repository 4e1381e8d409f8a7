"""Door fixtures: gyms open around the clock (tests run at any hour), kiosks, codes."""

import pytest
from django_tenants.utils import tenant_context

from apps.attendance.models import DeniedAttempt, DoorSettings, Kiosk
from apps.attendance.selectors import door_cache_clear
from apps.tenants.models import Gym
from tests.attendance.factories import ALWAYS_OPEN, KioskFactory, set_hours


@pytest.fixture(autouse=True)
def _fresh_door_rules():
    # Each test's database starts over; so must the per-process cache of door rules.
    door_cache_clear()
    yield
    door_cache_clear()


@pytest.fixture
def open_gyms(gym_a, gym_b):
    for gym in (gym_a, gym_b):
        set_hours(gym, ALWAYS_OPEN)
    return gym_a, gym_b


@pytest.fixture
def door_committed(committed_gym_a, committed_gym_b):
    """Committed gyms A and B, open around the clock; door data removed afterwards."""
    before = {g.pk: g.opening_hours for g in (committed_gym_a, committed_gym_b)}
    for gym in (committed_gym_a, committed_gym_b):
        set_hours(gym, ALWAYS_OPEN)
    yield committed_gym_a, committed_gym_b
    for gym in (committed_gym_a, committed_gym_b):
        with tenant_context(gym):
            Kiosk.objects.all().delete()
            DeniedAttempt.objects.all().delete()
            DoorSettings.objects.all().delete()
        Gym.objects.filter(pk=gym.pk).update(opening_hours=before[gym.pk])


@pytest.fixture
def make_kiosk():
    """make_kiosk(gym, mode="entry", **kw) -> (kiosk, token)."""

    def make(gym: Gym, mode: str = "entry", name: str = "Front door", **kwargs):
        with tenant_context(gym):
            return KioskFactory(name=name, mode=mode, **kwargs)

    return make
