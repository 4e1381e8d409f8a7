from django import forms
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import BookingPolicy, Room, TrainerProfile
from apps.bookings.services.booking import POLICY_FIELDS


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
