"""The one answer to "what may this member do?", by tier, with per-gym overrides.

Assessments, programs, bookings and goals ask `entitlements(...)`; none of them reads
billing objects. Billing (later) only sets `Member.tier`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from django.core.exceptions import ValidationError

from apps.billing.tiers import Tier


@dataclass(frozen=True)
class Entitlements:
    tier: str
    assessment_tests_per_month: int
    assessment_attempts_per_test_per_day: int
    assessment_daily_cap: int
    corrective_plans: bool
    assessment_report: bool
    active_goals: int | None  # None: unlimited
    class_bookings_active: int
    personal_training: bool
    community_posting: bool

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULTS: dict[str, Entitlements] = {
    Tier.FREE: Entitlements(Tier.FREE, 3, 3, 9, False, False, 1, 2, False, True),
    Tier.BASIC: Entitlements(Tier.BASIC, 3, 3, 9, True, False, 3, 5, False, True),
    Tier.PRO: Entitlements(Tier.PRO, 7, 3, 21, True, True, 5, 10, True, True),
    Tier.PRO_PLUS: Entitlements(Tier.PRO_PLUS, 15, 3, 45, True, True, None, 20, True, True),
}
OVERRIDABLE = {f.name: f.type for f in fields(Entitlements) if f.name != "tier"}


def entitlements_for_tier(*, tier: str, overrides: dict | None = None) -> Entitlements:
    base = DEFAULTS.get(tier, DEFAULTS[Tier.FREE])
    gym_overrides = (overrides or {}).get(str(base.tier), {})
    valid = {k: v for k, v in gym_overrides.items() if k in OVERRIDABLE}
    return replace(base, **valid) if valid else base


def entitlements(*, member, gym) -> Entitlements:
    """What `member` of `gym` may do now."""
    return entitlements_for_tier(tier=member.tier, overrides=gym.entitlement_overrides)


def validate_entitlement_overrides(value) -> None:
    """Per-gym overrides must name known tiers and fields with values of the right kind."""
    if not isinstance(value, dict):
        raise ValidationError("Overrides must be an object keyed by tier.")
    for tier, values in value.items():
        if tier not in Tier.values or not isinstance(values, dict):
            raise ValidationError(f"Unknown tier {tier!r}; use one of {', '.join(Tier.values)}.")
        for key, val in values.items():
            if key not in OVERRIDABLE:
                raise ValidationError(f"Unknown entitlement {key!r}.")
            wants_bool = OVERRIDABLE[key] in (bool, "bool")
            if wants_bool and not isinstance(val, bool):
                raise ValidationError(f"{key} must be true or false.")
            if not wants_bool and not (
                val is None
                and key == "active_goals"
                or isinstance(val, int)
                and not isinstance(val, bool)
                and val >= 0
            ):
                raise ValidationError(f"{key} must be a whole number of 0 or more.")
