"""A member's profile in one gym. The login (if any) is a separate `accounts.User`."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.billing.tiers import Tier
from apps.tenants.models import TIME_ZONE_CHOICES


class MemberStatus(models.TextChoices):
    LEAD = "lead", _("Lead")
    TRIAL = "trial", _("Trial")
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    CANCELLED = "cancelled", _("Cancelled")


def member_photo_path(member: "Member", filename: str) -> str:
    # The schema leads the path so gyms never share a folder, and the random name keeps
    # photos from being guessed.
    ext = filename.rsplit(".", 1)[-1].lower()[:5]
    return f"{connection.schema_name}/members/photos/{uuid.uuid4().hex}.{ext}"


class Member(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("login"),
    )
    number = models.PositiveIntegerField(_("member number"), unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # Empty = the gym's: messages, pages and reminders use the member's own when set.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, blank=True
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=120, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=32, blank=True
    )
    photo = models.ImageField(_("photo"), upload_to=member_photo_path, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=MemberStatus.choices,
        default=MemberStatus.LEAD,
        db_index=True,
    )
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, default=Tier.FREE)
    # Set by billing when a payment is overdue past the gym's grace period; the door reads it.
    payment_overdue = models.BooleanField(_("payment overdue"), default=False)
    joined_on = models.DateField(_("join date"), default=timezone.localdate)
    notes = models.TextField(_("notes"), blank=True)
    tags = ArrayField(
        models.CharField(max_length=32), default=list, blank=True, verbose_name=_("tags")
    )
    # Family accounts: dependants point at the member who holds the household.
    household = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="household_members",
        verbose_name=_("household of"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["last_name", "first_name", "number"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="member_email_ci_unique",
                violation_error_message=_("Another member already uses this email."),
            ),
            models.CheckConstraint(
                condition=~models.Q(household=models.F("id")), name="member_not_own_household"
            ),
        ]
        indexes = [
            GinIndex(fields=["tags"], name="member_tags_gin"),
            # Matches Meta.ordering, so a page of the list is an index scan, not a sort.
            models.Index(fields=["last_name", "first_name", "number"], name="member_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} (#{self.number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
