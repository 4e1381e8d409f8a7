"""Times on a gym's pages are the gym's wall clock (and a member's own on member pages),
in the active language's format: a gym in Auckland does not see UTC."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.assessments.models import Attempt, BlockReason, QuotaBlock
from apps.attendance.models import DeniedAttempt, DenyReason, Kiosk
from tests.assessments.factories import AttemptFactory
from tests.attendance.factories import KioskFactory, VisitFactory
from tests.factories import MemberFactory, MemberWithLoginFactory

# 21:12 UTC on 3 December is 10:12 on 4 December in Auckland (NZDT, UTC+13).
MOMENT = datetime(2026, 12, 3, 21, 12, tzinfo=UTC)
UTC_CLOCK, AUCKLAND_CLOCK = "21:12", "10:12"


@pytest.fixture
def auckland(gym_a):
    # German: 24-hour times, so the UTC clock could not hide in "9:12 p.m.".
    gym_a.time_zone, gym_a.default_language = "Pacific/Auckland", "de"
    gym_a.save(update_fields=["time_zone", "default_language"])
    with tenant_context(gym_a):
        member = MemberFactory(first_name="Aroha")
        VisitFactory(member=member, entered_at=MOMENT)
        kiosk, _token = KioskFactory()
        Kiosk.objects.filter(pk=kiosk.pk).update(last_seen_at=MOMENT)
        DeniedAttempt.objects.create(at=MOMENT, reason=DenyReason.CLOSED, member=member)
        attempt = AttemptFactory(member=member)
        Attempt.objects.filter(pk=attempt.pk).update(created_at=MOMENT)
    return gym_a, attempt


@pytest.mark.parametrize(
    "page",
    [
        ("checkins-home", []),
        ("checkins-visits", []),
        ("checkins-kiosks", []),
        ("assessment-list", []),
        ("assessment-detail", ["attempt"]),
    ],
    ids=lambda page: page[0],
)
def test_dashboard_pages_show_the_gyms_clock(auckland, make_user, web, page):
    gym, attempt = auckland
    name, args = page
    owner = make_user(gym, Role.OWNER)
    with tenant_context(gym):
        url = reverse(name, args=[attempt.pk] if args else [])
    html = web(gym, owner).get(url).content.decode()
    assert AUCKLAND_CLOCK in html
    assert UTC_CLOCK not in html


def test_dates_follow_the_active_language(auckland, make_user, web):
    gym, _attempt = auckland
    owner = make_user(gym, Role.OWNER)
    with tenant_context(gym):
        url = reverse("checkins-visits")
    html = web(gym, owner).get(url).content.decode()
    assert f"04.12.2026 {AUCKLAND_CLOCK}" in html


def test_a_member_sees_their_own_time_zone_on_member_pages(auckland, web):
    gym, _attempt = auckland
    with tenant_context(gym):
        member = MemberWithLoginFactory(time_zone="Europe/Berlin")
        attempt = AttemptFactory(member=member)
        Attempt.objects.filter(pk=attempt.pk).update(created_at=MOMENT)
    html = web(gym, member.user).get("/assessments/").content.decode()
    assert "03.12.2026 22:12" in html  # Berlin, UTC+1
    assert AUCKLAND_CLOCK not in html


def test_the_member_assessments_page_mentions_a_block_only_when_there_is_one(auckland, web):
    gym, _attempt = auckland
    with tenant_context(gym):
        member = MemberWithLoginFactory()
    client = web(gym, member.user)
    assert 'role="alert"' not in client.get("/assessments/").content.decode()
    with tenant_context(gym):
        QuotaBlock.objects.create(
            member=member, reason=BlockReason.DAILY_CAP, until=MOMENT + timedelta(days=400)
        )
    html = client.get("/assessments/").content.decode()
    assert 'role="alert"' in html
    assert "08.01.2028 10:12" in html  # the gym's clock, German format
