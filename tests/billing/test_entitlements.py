"""The one entitlements lookup: tier defaults and per-gym overrides."""

import pytest
from django.core.exceptions import ValidationError

from apps.billing.entitlements import entitlements, validate_entitlement_overrides
from apps.billing.tiers import Tier


class _Member:
    def __init__(self, tier):
        self.tier = tier


class _Gym:
    def __init__(self, overrides=None):
        self.entitlement_overrides = overrides or {}


@pytest.mark.parametrize(
    ("tier", "tests", "plans", "goals"),
    [
        (Tier.FREE, 3, False, 1),
        (Tier.BASIC, 3, True, 3),
        (Tier.PRO, 7, True, 5),
        (Tier.PRO_PLUS, 15, True, None),
    ],
)
def test_tier_defaults(tier, tests, plans, goals):
    result = entitlements(member=_Member(tier), gym=_Gym())
    assert result.assessment_tests_per_month == tests
    assert result.corrective_plans is plans
    assert result.active_goals == goals


def test_a_gym_can_override_a_tier():
    gym = _Gym({"pro": {"assessment_tests_per_month": 10, "corrective_plans": False}})
    pro = entitlements(member=_Member(Tier.PRO), gym=gym)
    assert pro.assessment_tests_per_month == 10 and pro.corrective_plans is False
    # Other tiers keep their defaults.
    assert entitlements(member=_Member(Tier.BASIC), gym=gym).assessment_tests_per_month == 3


def test_unknown_tier_falls_back_to_free():
    assert entitlements(member=_Member("gold"), gym=_Gym()).tier == Tier.FREE


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        {"gold": {}},
        {"pro": {"unknown": 1}},
        {"pro": {"assessment_tests_per_month": -1}},
        {"pro": {"assessment_tests_per_month": "7"}},
        {"pro": {"corrective_plans": 1}},
        {"pro": {"assessment_tests_per_month": True}},
    ],
)
def test_bad_overrides_are_rejected(overrides):
    with pytest.raises(ValidationError):
        validate_entitlement_overrides(overrides)


def test_good_overrides_pass():
    overrides = {"free": {"active_goals": None, "corrective_plans": True}}
    assert validate_entitlement_overrides(overrides) is None  # accepted: nothing raised
    # and what was accepted is what the gym's free members get (defaults: 1 goal, no plans)
    free = entitlements(member=_Member(Tier.FREE), gym=_Gym(overrides))
    assert free.active_goals is None and free.corrective_plans is True
