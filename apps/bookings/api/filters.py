"""Query parameters of the bookings API, declared once: parsed and checked here (see
apps.common.api.filters for how a bad one is answered), listed in the OpenAPI schema."""

from datetime import date, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.bookings.models import ClassSession, TrainerProfile
from apps.bookings.policy import gym_zone

MAX_TIMETABLE_DAYS = 31


class IsoDateField(forms.Field):
    """YYYY-MM-DD; what follows the tenth character is ignored (apps send datetimes too)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            day = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            day = None
        # The year bound also keeps date arithmetic from overflowing.
        if day is None or not 2000 <= day.year <= 2100:
            raise ValidationError(
                _("Not a date."),
                code="not_a_date",
                params={"summary": _("Use a date like 2026-03-30.")},
            )
        return day


class IdField(forms.Field):
    """A row id: digits that fit PostgreSQL's bigint."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value)
        if not (value.isascii() and value.isdigit()) or len(value) > 18:
            raise ValidationError(
                _("Not an id."), code="not_an_id", params={"summary": _("Use a whole number.")}
            )
        return int(value)


class IsoDateFilter(django_filters.DateFilter):
    field_class = IsoDateField


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class _GymDays:
    """`from` and `to`: days in the gym's time zone, a week from today unless asked."""

    def is_valid(self) -> bool:
        super().is_valid()
        values = self.form.cleaned_data
        if "from" in values and "to" in values:  # both well formed (or not sent)
            today = timezone.now().astimezone(gym_zone(self.request.tenant)).date()
            values["from"] = values["from"] or today
            values["to"] = values["to"] or values["from"] + timedelta(days=6)
            self.check_days(values["from"], values["to"])
        return not self.form.errors

    def check_days(self, first: date, last: date) -> None:
        """Rules on the range, once both days are known (none by default)."""


def _first_day():
    return IsoDateFilter(help_text=gettext_lazy("First day (gym's local date); today"))


def _last_day():
    return IsoDateFilter(help_text=gettext_lazy("Last day, included; from + 6 days"))


# `from` is a Python keyword, so the day filters are declared through the class namespace.
# Declaration order is the order in which bad parameters are reported.


class TimetableFilter(_GymDays, django_filters.FilterSet):
    vars()["from"] = _first_day()
    vars()["to"] = _last_day()
    type = IdFilter(field_name="class_type", help_text=gettext_lazy("Class type id"))
    instructor = IdFilter(field_name="instructor", help_text=gettext_lazy("Trainer id"))

    class Meta:
        model = ClassSession
        fields = []

    def check_days(self, first: date, last: date) -> None:
        if last < first or (last - first).days >= MAX_TIMETABLE_DAYS:
            self.form.add_error(
                "to",
                ValidationError(
                    _("Out of range."),
                    code="out_of_range",
                    params={
                        "summary": _("Ask for 1 to %(n)s days at a time.")
                        % {"n": MAX_TIMETABLE_DAYS}
                    },
                ),
            )


class TrainerSlotsFilter(_GymDays, django_filters.FilterSet):
    # Not required by the form: without it the session type is not found (404), as before.
    session_type = IdFilter(
        field_name="session_types",
        help_text=gettext_lazy("Required: one of the trainer's session types (else 404)"),
    )
    vars()["from"] = _first_day()
    vars()["to"] = _last_day()

    class Meta:
        model = TrainerProfile
        fields = []
