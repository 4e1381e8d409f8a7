"""Reads on assessments (current gym schema)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from apps.assessments import interpretation
from apps.assessments.catalogue import TESTS, specs_for_tier
from apps.assessments.models import Attempt, AttemptStatus, QuotaBlock
from apps.billing.entitlements import entitlements
from apps.members.models import Member

# Everything but the landmark blob: lists never need it.
LIST_FIELDS_DEFER = ("landmarks",)


def attempt_list(*, member: Member | None = None, test_id: int | None = None) -> QuerySet[Attempt]:
    attempts = Attempt.objects.select_related("member").defer(*LIST_FIELDS_DEFER)
    if member is not None:
        attempts = attempts.filter(member=member)
    if test_id:
        attempts = attempts.filter(test_id=test_id)
    return attempts


def attempt_for_user(*, user, pk: int) -> Attempt | None:
    """An attempt the user may see: their own, or any in the gym for staff who view
    assessments. None otherwise (the caller answers 404)."""
    attempts = Attempt.objects.select_related("member")
    if user.has_perm("assessments.view_attempt"):
        return attempts.filter(pk=pk).first()
    return attempts.filter(pk=pk, member__user=user).first()


def member_attempt(*, member: Member, pk: int) -> Attempt | None:
    """One of the member's own attempts, with its result; None for anyone else's."""
    return Attempt.objects.filter(member=member, pk=pk).defer(*LIST_FIELDS_DEFER).first()


def user_may_view_attempt(*, user, attempt: Attempt) -> bool:
    if not (user and user.is_active):
        return False
    return attempt.member.user_id == user.pk or user.has_perm("assessments.view_attempt")


def block_list(*, active_only: bool = False) -> QuerySet[QuotaBlock]:
    blocks = QuotaBlock.objects.select_related("member", "lifted_by")
    if active_only:
        blocks = blocks.filter(lifted_at__isnull=True, until__gt=timezone.now())
    return blocks


def active_block(*, member: Member) -> QuotaBlock | None:
    return block_list(active_only=True).filter(member=member).order_by("-until").first()


def catalogue_for_member(*, member: Member, gym) -> dict:
    ent = entitlements(member=member, gym=gym)
    return {
        "tier": member.tier,
        "tests_per_month": ent.assessment_tests_per_month,
        "attempts_per_test_per_day": ent.assessment_attempts_per_test_per_day,
        "daily_cap": ent.assessment_daily_cap,
        "report": ent.assessment_report,
        "tests": [spec.as_dict() for spec in specs_for_tier(member.tier)],
    }


def test_history(*, member: Member, test_id: int) -> list[dict]:
    """Scored attempts of one test, oldest first, with the change of each graded metric
    against the first attempt (for trend and retest advice)."""
    rows = list(
        attempt_list(member=member, test_id=test_id)
        .filter(status=AttemptStatus.VALID)
        .order_by("created_at")
    )
    history = []
    for attempt in rows:
        history.append(
            {
                "id": attempt.pk,
                "created_at": attempt.created_at,
                "bucket": attempt.bucket,
                "metrics": {
                    m["metric"]: m["value"] for m in (attempt.result or {}).get("metrics", [])
                },
            }
        )
    return history


QUICK_RETEST = timedelta(weeks=2)
FULL_RETEST = (timedelta(weeks=4), timedelta(weeks=6))


def member_report(*, member: Member) -> dict:
    """Problem areas (P1/P2), a four-week plan outline, progress per test since the first
    scored attempt, and when to retest."""
    scored = list(
        attempt_list(member=member).filter(status=AttemptStatus.VALID).order_by("created_at")
    )
    first: dict[int, Attempt] = {}
    latest: dict[int, Attempt] = {}
    for attempt in scored:
        first.setdefault(attempt.test_id, attempt)
        latest[attempt.test_id] = attempt
    areas = interpretation.problem_areas({t: a.result for t, a in latest.items()})
    progress = []

    def metrics(attempt: Attempt) -> dict:
        return {m["metric"]: m["value"] for m in attempt.result.get("metrics", [])}

    for test_id, last in sorted(latest.items()):
        spec = TESTS[test_id]
        progress.append(
            {
                "test_id": test_id,
                "test": str(spec.name),
                "first_at": first[test_id].created_at,
                "latest_at": last.created_at,
                "first": metrics(first[test_id]),
                "latest": metrics(last),
                "bucket": last.bucket,
                "trend": interpretation.trend(
                    metrics(first[test_id]), metrics(last), spec.thresholds
                )
                if first[test_id].pk != last.pk
                else {"changes": {}, "verdict": ""},
            }
        )
    last_at = scored[-1].created_at if scored else None
    return {
        "member": member.pk,
        "problem_areas": areas,
        "phases": [
            {"weeks": "1-2", "focus": "local", "areas": [a["area"] for a in areas["p1"]]},
            {
                "weeks": "3-4",
                "focus": "integration",
                "areas": [a["area"] for a in areas["p1"] + areas["p2"]],
            },
        ],
        "progress": progress,
        "retest": {
            "quick_due": last_at + QUICK_RETEST if last_at else None,
            "full_due_from": last_at + FULL_RETEST[0] if last_at else None,
            "full_due_by": last_at + FULL_RETEST[1] if last_at else None,
        },
    }
