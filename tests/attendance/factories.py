"""Door data, in the current schema: kiosks, visits, and the helpers that open a gym and
show a member's rotating code (shared with other apps' door tests)."""

import factory
from django.utils import timezone
from django_tenants.utils import tenant_context
from factory.django import DjangoModelFactory

from apps.attendance import codes
from apps.attendance.models import Kiosk, Visit, VisitMethod
from apps.attendance.selectors import door_cache_clear
from apps.attendance.services import kiosk_register, pass_get_or_create
from apps.tenants.models import Gym
from apps.tenants.opening_hours import DAYS
from tests.factories import MemberFactory

ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in DAYS}


class KioskFactory(factory.Factory):
    """A registered kiosk through the service: returns (kiosk, token)."""

    class Meta:
        model = Kiosk

    name = "Front door"
    mode = "entry"

    @classmethod
    def _create(cls, model_class, **kwargs) -> tuple[Kiosk, str]:
        return kiosk_register(**kwargs)


class VisitFactory(DjangoModelFactory):
    """A visit as stored (entered now at the desk, still in unless `exited_at` is given)."""

    class Meta:
        model = Visit

    member = factory.SubFactory(MemberFactory)
    method = VisitMethod.DESK
    entered_at = factory.LazyFunction(timezone.now)


def set_hours(gym: Gym, hours: dict) -> None:
    Gym.objects.filter(pk=gym.pk).update(opening_hours=hours)
    gym.opening_hours = hours
    door_cache_clear()  # this process's door rules cache (a few seconds in production)


def code_for(gym: Gym, member, at=None) -> str:
    """The member's rotating code as the app would show it now (or at `at`)."""
    with tenant_context(gym):
        door_pass = pass_get_or_create(member=member)
        step = codes.step_of(at or timezone.now())
        return codes.rotating_code(member_id=member.pk, secret=door_pass.secret, step=step)
