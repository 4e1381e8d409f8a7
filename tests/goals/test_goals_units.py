"""Units in one place: kg/lb in Decimal (2 places, half up), the units each type allows."""

from decimal import Decimal

import pytest

from apps.goals import units


def test_kg_and_lb_convert_exactly_rounded_half_up():
    assert units.to_kg(Decimal("100"), "lb") == Decimal("45.36")
    assert units.from_kg(Decimal("100"), "lb") == Decimal("220.46")
    assert units.to_kg(Decimal("1"), "lb") == Decimal("0.45")
    assert units.convert(Decimal("80"), "kg", "kg") == Decimal("80")
    assert units.convert(Decimal("176.37"), "lb", "kg") == Decimal("80.00")
    assert units.quantize(Decimal("0.125")) == Decimal("0.13")  # half up, not to even


def test_units_by_type():
    assert units.allowed_units("visits") == ("visits",)
    assert units.allowed_units("classes") == ("classes",)
    assert units.unit_allowed("body_weight", "lb") and not units.unit_allowed("body_weight", "st")
    assert units.unit_allowed("volume", "kg") and not units.unit_allowed("volume", "min")
    assert units.unit_allowed("endurance", "km") and not units.unit_allowed("endurance", "kg")
    assert units.unit_allowed("custom", "push-ups")
    assert not units.unit_allowed("custom", "")
    assert not units.unit_allowed("custom", "x" * 17)
    assert units.default_unit("strength", "lb") == "lb"
    assert units.default_unit("visits", "lb") == "visits"


def test_minutes_and_km_do_not_convert():
    assert not units.convertible("min", "km")
    with pytest.raises(ValueError):
        units.convert(Decimal(1), "min", "km")
