"""Quotas are enforced by the server, counted with the member's row locked: per test per
day, per hour, distinct tests per month, the daily cap (-> 24 h block) and abusive volume
(-> 7-day block). Staff see and lift blocks."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from apps.accounts.roles import Role
from apps.assessments.models import Attempt, AttemptStatus, AuditEvent, BlockReason, QuotaBlock
from apps.assessments.services import attempt_submit
from apps.billing.tiers import Tier
from apps.common.errors import ApplicationError
from apps.members.models import Member
from tests.assessments.conftest import upload
from tests.factories import MemberFactory, UserFactory


def _submit(member, test_id, clip):
    return attempt_submit(member=member, test_id=test_id, upload=upload(clip))


def _refusal(member, test_id, clip) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        _submit(member, test_id, clip)
    assert info.value.status_code == 429
    return info.value


def _fill(member, count, test_id=4, **fields):
    """Attempts made earlier today (minutes ago), without files: quotas count rows."""
    now = timezone.now()
    Attempt.objects.bulk_create(
        Attempt(
            member=member,
            test_id=test_id,
            catalogue_version="x",
            created_at=now - timedelta(minutes=1),
            **fields,
        )
        for _ in range(count)
    )


def test_three_attempts_per_test_per_day(gym_a, member_user, synthetic):
    member, _user = member_user
    with tenant_context(gym_a):
        for _ in range(3):
            _submit(member, 4, synthetic["noise"])
        error = _refusal(member, 4, synthetic["noise"])
        assert error.code == "test_daily_limit"
        # Another test is still fine.
        _submit(member, 3, synthetic["noise"])


def test_five_attempts_per_hour(gym_a, member_user, synthetic):
    member, _user = member_user
    with tenant_context(gym_a):
        for test_id in (4, 4, 3, 3, 7):
            _submit(member, test_id, synthetic["noise"])
        assert _refusal(member, 6, synthetic["noise"]).code == "hourly_limit"


def test_failed_runs_do_not_count(gym_a, member_user, synthetic):
    member, _user = member_user
    with tenant_context(gym_a):
        _fill(member, 3, status=AttemptStatus.FAILED)
        # The day's three attempts at this test are all still there...
        for _ in range(3):
            assert _submit(member, 4, synthetic["noise"]).status == AttemptStatus.QUEUED
        # ...and the quota itself still holds once they are used.
        assert _refusal(member, 4, synthetic["noise"]).code == "test_daily_limit"


def test_distinct_tests_per_month(gym_a, member_user, synthetic):
    member, _user = member_user
    gym_a.entitlement_overrides = {"pro": {"assessment_tests_per_month": 2}}
    with tenant_context(gym_a):
        _submit(member, 4, synthetic["noise"])
        _submit(member, 3, synthetic["noise"])
        error = _refusal(member, 7, synthetic["noise"])
        assert error.code == "monthly_test_limit" and error.details["tests"] == [3, 4]
        _submit(member, 4, synthetic["noise"])  # a test already taken this month is fine
    gym_a.entitlement_overrides = {}


def test_over_the_daily_cap_blocks_for_24_hours_until_staff_lift_it(
    gym_a, api, member_user, synthetic, staff
):
    member, user = member_user
    with tenant_context(gym_a):
        _fill(member, 21)  # Pro: 21 a day
        error = _refusal(member, 3, synthetic["noise"])
        assert (
            error.code == "submissions_blocked" and error.details["reason"] == BlockReason.DAILY_CAP
        )
        block = QuotaBlock.objects.get(member=member)
        assert timedelta(hours=23, minutes=59) < block.until - timezone.now() <= timedelta(hours=24)
        # While blocked, every submission is refused with the block's reason.
        again = _refusal(member, 3, synthetic["noise"])
        assert again.details["reason"] == BlockReason.DAILY_CAP
        assert Attempt.objects.filter(member=member).count() == 21
    # The member's app shows the reason.
    response = api(gym_a, user).post(
        "/api/v1/assessments/attempts/",
        {"test": 3, "video": upload(synthetic["noise"])},
        format="multipart",
    )
    assert response.status_code == 429
    assert (
        "limit" in response.json()["error"]["message"]
        or "blocked" in response.json()["error"]["message"]
    )
    # A trainer sees the block but may not lift it; a manager lifts it.
    trainer = api(gym_a, staff(Role.TRAINER))
    listed = trainer.get("/api/v1/assessments/blocks/?active=1").json()
    assert [b["id"] for b in listed["results"]] == [block.pk]
    assert trainer.post(f"/api/v1/assessments/blocks/{block.pk}/lift/").status_code == 403
    manager = staff(Role.MANAGER)
    lifted = api(gym_a, manager).post(f"/api/v1/assessments/blocks/{block.pk}/lift/")
    assert lifted.status_code == 200 and lifted.json()["active"] is False
    with tenant_context(gym_a):
        assert AuditEvent.objects.filter(event=AuditEvent.BLOCK_LIFTED, member=member).exists()
        # A fresh day from the lift: not blocked again (the hourly baseline still holds,
        # and the 21 fillers were made a minute ago).
        error = _refusal(member, 3, synthetic["noise"])
        assert error.code == "hourly_limit"
        assert QuotaBlock.objects.filter(member=member).count() == 1


def test_abusive_volume_blocks_for_seven_days(gym_a, member_user, synthetic):
    member, _user = member_user
    with tenant_context(gym_a):
        AuditEvent.objects.bulk_create(
            AuditEvent(event=AuditEvent.SUBMISSION_REFUSED, member=member) for _ in range(50)
        )
        error = _refusal(member, 4, synthetic["noise"])
        assert error.details["reason"] == BlockReason.ABUSE
        block = QuotaBlock.objects.get(member=member)
        assert block.until - timezone.now() > timedelta(days=6, hours=23)


def test_parallel_uploads_cannot_exceed_a_quota(committed_gym_a, synthetic):
    """Six uploads of the same test at once, three allowed: exactly three get through."""
    with tenant_context(committed_gym_a):
        member = MemberFactory(user=UserFactory(role=Role.MEMBER), tier=Tier.PRO)
    results = []
    barrier = threading.Barrier(6)

    def submit():
        try:
            with tenant_context(committed_gym_a):
                fresh = Member.objects.get(pk=member.pk)
                barrier.wait()
                _submit(fresh, 4, synthetic["noise"])
                results.append("ok")
        except ApplicationError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(results) == ["ok"] * 3 + ["test_daily_limit"] * 3
    with tenant_context(committed_gym_a):
        attempts = list(Attempt.objects.filter(member=member))
        assert len(attempts) == 3
        for attempt in attempts:
            attempt.video.delete(save=False)
