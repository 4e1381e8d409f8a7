from django import forms
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import BookingPolicy, Room, TrainerProfile


class BookingPolicyForm(forms.ModelForm):
    class Meta:
        model = BookingPolicy
        fields = [
            "opens_days_before",
            "closes_minutes_before",
            "max_active_bookings",
            "max_per_day",
            "waitlist_closes_minutes_before",
            "late_cancel_minutes_before",
            "late_cancel_strike",
            "late_cancel_fee",
            "late_cancel_forfeits_credit",
            "no_show_strike",
            "no_show_fee",
            "no_show_forfeits_credit",
            "strikes_to_block",
            "strike_window_days",
            "block_days",
            "reminder_minutes_before",
            "auto_mark_no_shows",
            "generate_weeks_ahead",
        ]


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
