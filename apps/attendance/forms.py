"""Query-string filters for visit lists (API and dashboard share them)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.attendance.models import DoorSettings, KioskMode
from apps.billing.tiers import Tier


class VisitFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    member = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    inside = forms.BooleanField(label=_("Inside now"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("“To” must not be before “From”."))
        return data


class KioskForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    mode = forms.ChoiceField(label=_("Mode"), choices=KioskMode.choices, initial=KioskMode.ENTRY)
    allowed_tiers = forms.MultipleChoiceField(
        label=_("Tiers allowed through this door"),
        choices=Tier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every tier."),
    )


class DoorSettingsForm(forms.ModelForm):
    class Meta:
        model = DoorSettings
        fields = [
            "anti_passback",
            "auto_checkout_hours",
            "capacity",
            "refuse_when_full",
            "busy_percent",
            "very_busy_percent",
            "kiosk_message",
        ]
