"""Units of goals, in one place: which units each goal type allows, and kg/lb.

Decisions (docs/goals.md, "Goals", says why):
- A goal keeps its target, start value and current value **in its own unit** (what the
  member typed: a 180 lb goal stays 180 lb, no rounding drift on every read). Entries keep
  the unit they were entered in; progress converts each entry to the goal's unit before
  comparing. Body weights are stored in kg (one row per day, whatever the member's unit)
  and converted to the goal's unit when counted.
- Conversion is exact in `Decimal` (1 lb = 0.45359237 kg, the international pound),
  rounded once to 2 places, ROUND_HALF_UP.
- Minutes and km (endurance) do not convert: an entry must be in its goal's unit."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from apps.goals.models import GoalType

KG, LB = "kg", "lb"
MIN, KM = "min", "km"
VISITS, CLASSES = "visits", "classes"
KG_PER_LB = Decimal("0.45359237")
CENT = Decimal("0.01")
CUSTOM_UNIT_MAX = 16

WEIGHT_UNITS = (KG, LB)
UNITS: dict[str, tuple[str, ...]] = {
    GoalType.VISITS: (VISITS,),
    GoalType.CLASSES: (CLASSES,),
    GoalType.BODY_WEIGHT: WEIGHT_UNITS,
    GoalType.STRENGTH: WEIGHT_UNITS,
    GoalType.VOLUME: WEIGHT_UNITS,
    GoalType.ENDURANCE: (MIN, KM),
}


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allowed_units(goal_type: str) -> tuple[str, ...] | None:
    """The units a goal type allows; None for custom (any word up to 16 characters)."""
    return UNITS.get(goal_type)


def default_unit(goal_type: str, weight_unit: str = KG) -> str:
    units = UNITS.get(goal_type) or ("",)
    return weight_unit if weight_unit in units else units[0]


def unit_allowed(goal_type: str, unit: str) -> bool:
    units = allowed_units(goal_type)
    if units is None:
        return bool(unit) and len(unit) <= CUSTOM_UNIT_MAX
    return unit in units


def to_kg(value: Decimal, unit: str) -> Decimal:
    if unit == KG:
        return quantize(value)
    if unit == LB:
        return quantize(value * KG_PER_LB)
    raise ValueError(f"Not a weight unit: {unit!r}")


def from_kg(value_kg: Decimal, unit: str) -> Decimal:
    if unit == KG:
        return quantize(value_kg)
    if unit == LB:
        return quantize(value_kg / KG_PER_LB)
    raise ValueError(f"Not a weight unit: {unit!r}")


def convertible(from_unit: str, to_unit: str) -> bool:
    return from_unit == to_unit or (from_unit in WEIGHT_UNITS and to_unit in WEIGHT_UNITS)


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """`value` in `from_unit` expressed in `to_unit` (kg <-> lb; anything else must match)."""
    if from_unit == to_unit:
        return value
    if not convertible(from_unit, to_unit):
        raise ValueError(f"Cannot convert {from_unit!r} to {to_unit!r}")
    return from_kg(to_kg(value, from_unit), to_unit)
