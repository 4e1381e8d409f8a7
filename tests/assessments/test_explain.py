"""Results in plain words: no raw metric codes where people read them."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from apps.assessments import explain
from apps.assessments.catalogue import TESTS
from apps.assessments.models import AttemptStatus
from apps.billing.tiers import Tier
from tests.assessments.factories import AttemptFactory
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

SQUAT = {
    "bucket": "limited",
    "metrics": [
        {"metric": "depth_pct", "value": 63.3, "unit": "% hip height", "bucket": "pass"},
        {"metric": "knee_valgus_deg", "value": 11.6, "unit": "deg", "bucket": "limited"},
    ],
}


def test_every_metric_of_the_catalogue_has_words_and_a_unit():
    for spec in TESTS.values():
        for threshold in spec.thresholds:
            assert threshold.metric in explain.METRIC_LABELS, threshold.metric
            assert threshold.unit in explain.UNITS, threshold.unit


def test_a_metric_reads_as_a_sentence_with_its_target():
    with translation.override("en"):
        depth = explain.metric(SQUAT["metrics"][0], test_id=4)
        valgus = explain.metric(SQUAT["metrics"][1], test_id=4)
    assert depth.sentence == "Squat depth 63 % of hip height — good"
    assert depth.target == "good from 45 % of hip height"
    assert valgus.sentence == "Knees caving in 12° — limited"
    assert valgus.target.startswith("good up to ")


def test_an_old_result_without_units_takes_the_catalogue_unit():
    measured = {"metric": "aligned_seconds", "value": 28.4, "bucket": "limited"}
    with translation.override("en"):
        assert explain.metric(measured, test_id=2).value == "28 s"


def _member(gym, tier=Tier.PRO):
    with tenant_context(gym):
        user = UserFactory(role="member")
        return MemberFactory(user=user, tier=tier), user


def test_member_reads_their_result_in_words_and_not_another_members(gym_a, web):
    member, user = _member(gym_a)
    other, _user = _member(gym_a)
    with tenant_context(gym_a):
        mine = AttemptFactory(member=member, test_id=4, bucket="limited", result=SQUAT)
        theirs = AttemptFactory(member=other, test_id=4, bucket="limited", result=SQUAT)
    client = web(gym_a, user)
    listing = client.get("/app/assessments/")
    assert f'href="/app/assessments/{mine.pk}/"'.encode() in listing.content
    page = client.get(f"/app/assessments/{mine.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Squat depth</strong> 63 % of hip height" in html
    assert "Some room to improve" in html
    assert "depth_pct" not in html and "63.3" not in html
    assert client.get(f"/app/assessments/{theirs.pk}/").status_code == 404
    assert client.get("/app/assessments/999999/").status_code == 404


def test_a_refused_clip_says_why_in_words(gym_a, web):
    member, user = _member(gym_a)
    with tenant_context(gym_a):
        attempt = AttemptFactory(
            member=member, status=AttemptStatus.INVALID, bucket="", result=None,
            reason_code="not_a_video",
        )  # fmt: skip
    page = web(gym_a, user).get(f"/app/assessments/{attempt.pk}/")
    assert page.status_code == 200 and b"We could not score this clip" in page.content


def test_report_page_in_words_for_plans_that_include_it(gym_a, web):
    member, user = _member(gym_a)
    now = timezone.now()
    with tenant_context(gym_a):
        for days, seconds in ((15, 20.0), (1, 28.0)):
            AttemptFactory(
                member=member, test_id=2, bucket="limited", created_at=now - timedelta(days=days),
                result={"bucket": "limited", "metrics": [
                    {"metric": "aligned_seconds", "value": seconds, "bucket": "limited"}]},
            )  # fmt: skip
    page = web(gym_a, user).get("/app/assessments/report/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Core stability" in html
    assert "Time held in a straight line 28 s" in html
    assert "Clearly better than your first test." in html
    assert "aligned_seconds" not in html
    _free, free_user = _member(gym_a, tier=Tier.FREE)
    assert web(gym_a, free_user).get("/app/assessments/report/").status_code == 404


def test_staff_attempt_page_names_measures_in_words(gym_a, web, make_user):
    member, _user = _member(gym_a)
    with tenant_context(gym_a):
        attempt = AttemptFactory(member=member, test_id=4, bucket="limited", result=SQUAT)
    page = web(gym_a, make_user(gym_a, "trainer")).get(
        f"/dashboard/assessments/attempts/{attempt.pk}/"
    )
    assert page.status_code == 200
    assert b"Squat depth" in page.content and b"good from 45" in page.content
