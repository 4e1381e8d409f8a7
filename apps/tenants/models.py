"""A gym is a tenant: one PostgreSQL schema, reached through its domains."""

import zoneinfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from apps.billing.entitlements import validate_entitlement_overrides
from apps.tenants.opening_hours import validate_opening_hours
from apps.tenants.validators import validate_gym_slug

TIME_ZONE_CHOICES = [
    (tz, tz)
    for tz in sorted(zoneinfo.available_timezones())
    if "/" in tz and not tz.startswith(("Etc/", "SystemV/"))
] + [("UTC", "UTC")]
CURRENCY_CHOICES = [
    ("EUR", "EUR"),
    ("USD", "USD"),
    ("GBP", "GBP"),
    ("CHF", "CHF"),
    ("CAD", "CAD"),
    ("AUD", "AUD"),
    ("SEK", "SEK"),
    ("NOK", "NOK"),
    ("DKK", "DKK"),
    ("PLN", "PLN"),
    ("MXN", "MXN"),
    ("BRL", "BRL"),
]
hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f6feb."))


def default_opening_hours() -> dict:
    week = {day: [["06:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    return {**week, "sat": [["08:00", "20:00"]], "sun": [["08:00", "18:00"]]}


def gym_logo_path(gym: "Gym", filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower()[:5]
    return f"public/gyms/{gym.schema_name}/logo.{ext}"


def _contrast_with_white(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    try:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    except (TypeError, ValueError):
        return 21.0
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


class Gym(TenantMixin):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("web address"), max_length=30, unique=True, validators=[validate_gym_slug]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC"
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR"
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    logo = models.ImageField(_("logo"), upload_to=gym_logo_path, blank=True)
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f6feb", validators=[hex_colour]
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    address = models.TextField(_("postal address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # {"mon": [["06:00", "22:00"]], ...}; several ranges a day allow a midday closure.
    opening_hours = models.JSONField(
        _("opening hours"), default=default_opening_hours, validators=[validate_opening_hours]
    )
    allow_member_signup = models.BooleanField(_("members may sign up themselves"), default=True)
    # Per-gym overrides of the tier defaults: {"pro": {"tests_per_month": 10}}.
    entitlement_overrides = models.JSONField(
        _("entitlement overrides"),
        default=dict,
        blank=True,
        validators=[validate_entitlement_overrides],
    )
    is_active = models.BooleanField(_("active"), default=True)
    active_member_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("gym")
        verbose_name_plural = _("gyms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def brand_on_light(self) -> bool:
        """Whether the brand colour is dark enough for text on white (WCAG 4.5:1)."""
        return _contrast_with_white(self.primary_colour) >= 4.5

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def email(self) -> str:
        # The gym is dj-stripe's subscriber (it pays the platform), which needs an email.
        return self.contact_email


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
