from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.tenants.models import CURRENCY_CHOICES, TIME_ZONE_CHOICES, Gym
from apps.tenants.opening_hours import DAYS, format_day, parse_day
from apps.tenants.selectors import gym_slug_taken
from apps.tenants.validators import validate_gym_slug


class GymSignupForm(forms.Form):
    name = forms.CharField(label=_("Gym name"), max_length=120)
    slug = forms.CharField(label=_("Web address"), max_length=30)
    owner_name = forms.CharField(label=_("Your name"), max_length=150)
    owner_email = forms.EmailField(label=_("Your email"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="Europe/Berlin"
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="EUR")
    default_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_language"].initial = get_language()
        # Formatted per request so the hint is in the visitor's language.
        self.fields["slug"].help_text = _(
            "Your gym will be at your-address.%(domain)s — lowercase letters, digits and hyphens."
        ) % {"domain": settings.PLATFORM_DOMAIN}

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        validate_gym_slug(slug)
        if gym_slug_taken(slug=slug):
            raise ValidationError(_("This address is already taken."), code="slug_taken")
        return slug

    def clean(self):
        data = super().clean()
        if data.get("password"):
            try:
                validate_password(data["password"])
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class GymSettingsForm(forms.ModelForm):
    """Branding, contact details and opening hours (one text field per weekday)."""

    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Gym
        fields = [
            "name",
            "time_zone",
            "currency",
            "default_language",
            "logo",
            "primary_colour",
            "contact_email",
            "contact_phone",
            "address",
            "website",
            "allow_member_signup",
        ]
        widgets = {
            "primary_colour": forms.TextInput(attrs={"type": "color"}),
            "address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = self.instance.opening_hours or {}
        for index, day in enumerate(DAYS):
            self.fields[f"hours_{day}"] = forms.CharField(
                label=WEEKDAYS[index],
                required=False,
                max_length=100,
                initial=format_day(hours.get(day)),
                help_text=_("e.g. 06:00-22:00, or 06:00-12:00, 15:00-21:00. Empty: closed.")
                if index == 0
                else "",
            )

    def clean(self):
        data = super().clean()
        hours = {}
        for day in DAYS:
            try:
                hours[day] = parse_day(data.get(f"hours_{day}", ""))
            except ValidationError as exc:
                self.add_error(f"hours_{day}", exc)
        data["opening_hours"] = hours
        return data

    def saved_fields(self) -> list[str]:
        return [*self._meta.fields, "opening_hours"]

    def save(self, commit=True):
        gym = super().save(commit=False)
        gym.opening_hours = self.cleaned_data["opening_hours"]
        if commit:
            gym.save()
        return gym
