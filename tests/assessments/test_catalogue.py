"""The catalogue is data: 15 tests, each complete, and the tier subsets from the issue."""

from apps.assessments.catalogue import TESTS, TIER_TESTS, specs_for_tier
from apps.assessments.scoring import SCORERS
from apps.assessments.track import INDEX
from apps.billing.entitlements import DEFAULTS
from apps.billing.tiers import Tier


def test_fifteen_tests_each_with_a_scorer_landmarks_and_thresholds():
    assert sorted(TESTS) == list(range(1, 16))
    for spec in TESTS.values():
        assert spec.scorer in SCORERS
        assert spec.views and set(spec.views) <= {"front", "side"}
        assert spec.framing in {"full", "upper"}
        assert 0 < spec.max_seconds <= 45
        assert spec.thresholds
        for name in spec.required + spec.movement:
            assert name in INDEX or f"left_{name}" in INDEX, name
        assert spec.needs_movement == bool(spec.movement)


def test_tier_subsets_match_the_plan_and_the_monthly_entitlement():
    assert set(TIER_TESTS[Tier.FREE]) == set(TIER_TESTS[Tier.BASIC]) == {4, 3, 7}
    assert set(TIER_TESTS[Tier.PRO]) == {4, 3, 7, 6, 9, 2, 11}
    assert set(TIER_TESTS[Tier.PRO_PLUS]) == set(range(1, 16))
    for tier, ent in DEFAULTS.items():
        assert len(specs_for_tier(tier)) == ent.assessment_tests_per_month


def test_member_sees_the_catalogue_of_their_tier(gym_a, api, member_user):
    member, user = member_user
    response = api(gym_a, user).get("/api/v1/assessments/catalogue/")
    assert response.status_code == 200
    body = response.json()
    assert body["tier"] == "pro" and body["daily_cap"] == 21
    assert [t["id"] for t in body["tests"]] == [4, 3, 7, 6, 9, 2, 11]
    assert body["tests"][0]["views"] == ["front", "side"]
