"""Forms of the classes pages: they parse and check input; the services write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import (
    WEEKDAY_CHOICES,
    BookingPolicy,
    ClassType,
    Room,
    TrainerProfile,
)
from apps.bookings.services import POLICY_FIELDS
from apps.bookings.services.setup import CLASS_TYPE_FIELDS, ROOM_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class BookingPolicyForm(forms.ModelForm):
    class Meta:
        model = BookingPolicy
        fields = list(POLICY_FIELDS)


class SessionCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (members will read it)"), max_length=200)


class SessionChangeForm(forms.Form):
    """One session: its day and start (gym time), trainer, room and capacity. Empty
    fields change nothing."""

    day = forms.DateField(label=_("Day"), required=False, widget=DATE_INPUT)
    start_time = forms.TimeField(label=_("Starts at"), required=False, widget=TIME_INPUT)
    instructor = forms.ModelChoiceField(
        label=_("Instructor"),
        queryset=TrainerProfile.objects.filter(is_active=True),
        required=False,
    )
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.all(), required=False)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=1000, required=False)

    def clean(self):
        data = super().clean()
        if (data.get("day") is None) != (data.get("start_time") is None) and not self.errors:
            raise forms.ValidationError(_("Give both the day and the start time."))
        return data


class SubstituteForm(forms.Form):
    instructor = forms.ModelChoiceField(
        label=_("Substitute trainer"), queryset=TrainerProfile.objects.filter(is_active=True)
    )


class BookMemberForm(forms.Form):
    member = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)


class MemberSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a member"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, email, phone or number"), "type": "search"}
        ),
    )


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = list(ROOM_FIELDS)

    def validate_unique(self):
        pass  # the service says it in words (case-insensitive)


class ClassTypeForm(forms.ModelForm):
    class Meta:
        model = ClassType
        fields = list(CLASS_TYPE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}

    def clean_description(self):
        text = self.cleaned_data["description"]
        if len(text) > 2000:
            raise forms.ValidationError(_("At most 2000 characters."))
        return text

    def validate_unique(self):
        pass  # the service says it in words (case-insensitive)


class ScheduleForm(forms.Form):
    """A weekly schedule in words: days, a start time, how long, who and where. The
    service turns the days into the stored recurrence rule."""

    class_type = forms.ModelChoiceField(
        label=_("Class"), queryset=ClassType.objects.filter(is_active=True)
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day.")},
    )
    start_time = forms.TimeField(label=_("Starts at"), widget=TIME_INPUT)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=5,
        max_value=600,
        required=False,
        help_text=_("Empty: the class's duration."),
    )
    instructor = forms.ModelChoiceField(
        label=_("Trainer"), queryset=TrainerProfile.objects.filter(is_active=True), required=False
    )
    room = forms.ModelChoiceField(
        label=_("Room"),
        queryset=Room.objects.all(),
        required=False,
        help_text=_("Empty: the class's room."),
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=1000,
        required=False,
        help_text=_("Empty: the class's capacity (at most the room's)."),
    )
    starts_on = forms.DateField(label=_("First day"), widget=DATE_INPUT)
    ends_on = forms.DateField(
        label=_("Last day"), required=False, widget=DATE_INPUT, help_text=_("Empty: no end.")
    )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The last day is before the first day."))
        return data


class WaiveForm(forms.Form):
    reason = forms.CharField(label=_("Reason for waiving"), max_length=300)


class HoursRowForm(forms.Form):
    """One row of a trainer's weekly hours (empty rows are ignored)."""

    weekday = forms.TypedChoiceField(
        label=_("Day"),
        choices=[("", "—"), *WEEKDAY_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )
    start_time = forms.TimeField(label=_("From"), required=False)
    end_time = forms.TimeField(label=_("Until"), required=False)
    DELETE = forms.BooleanField(label=_("Remove"), required=False)

    def clean(self):
        data = super().clean()
        given = [data.get(f) is not None for f in ("weekday", "start_time", "end_time")]
        if any(given) and not all(given) and not data.get("DELETE"):
            raise forms.ValidationError(_("Give the day, the start and the end."))
        return data


HoursFormSet = forms.formset_factory(HoursRowForm, extra=3, max_num=50, absolute_max=60)
