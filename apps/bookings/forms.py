from django import forms
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import WEEKDAY_CHOICES, BookingPolicy, Room, TrainerProfile
from apps.bookings.services import POLICY_FIELDS


class BookingPolicyForm(forms.ModelForm):
    class Meta:
        model = BookingPolicy
        fields = list(POLICY_FIELDS)


class SessionCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (members will read it)"), max_length=200)


class SessionChangeForm(forms.Form):
    instructor = forms.ModelChoiceField(
        label=_("Instructor"),
        queryset=TrainerProfile.objects.filter(is_active=True),
        required=False,
    )
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.all(), required=False)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=1000, required=False)


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
