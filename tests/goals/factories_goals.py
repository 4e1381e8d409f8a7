"""Goals data, in the current schema: goals through the create service (they carry rules:
plausible targets, units, the limit), members on an unlimited tier, history in bulk."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from apps.goals.dates import local_today, member_zone
from apps.goals.models import BodyWeight, GoalSettings
from apps.goals.services.goals import goal_create
from tests.attendance.factories import VisitFactory
from tests.factories import MemberFactory, MemberWithLoginFactory


def goal_member(*, tier="pro_plus", login=False, **kwargs):
    """A member whose plan does not limit goals (tests of the limit pass `tier`)."""
    member = (MemberWithLoginFactory if login else MemberFactory)(**kwargs)
    member.tier = tier
    member.save(update_fields=["tier"])
    return member


def make_goal(member, **data):
    """A goal through the service: 3 visits a week, from today, unless told otherwise."""
    values = {"title": "Three a week", "type": "visits", "period": "week", "target": 3}
    values.update(data)
    return goal_create(member=member, data=values)


def rest_days(member, *weekdays):
    GoalSettings.objects.update_or_create(member=member, defaults={"rest_weekdays": list(weekdays)})


def visit_on(member, day, hour=10):
    at = datetime.combine(day, time(hour), tzinfo=member_zone(member))
    return VisitFactory(member=member, entered_at=at, exited_at=at + timedelta(hours=1))


def weights(member, values_by_days_ago: dict[int, str]):
    """Body weights in bulk (history): {days ago: kg}."""
    today = local_today(member)
    BodyWeight.objects.bulk_create(
        BodyWeight(member=member, on=today - timedelta(days=ago), weight_kg=Decimal(kg))
        for ago, kg in values_by_days_ago.items()
    )
