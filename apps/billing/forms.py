"""Forms of the member web app's membership page."""

from django import forms
from django.utils.translation import gettext_lazy as _


class FreezeForm(forms.Form):
    """When a freeze starts and how long it lasts; the service checks the gym's rules
    (shortest and longest freeze, start within 90 days)."""

    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=365)


class PlanChoiceForm(forms.Form):
    plan = forms.IntegerField(min_value=1, max_value=2**31 - 1)
