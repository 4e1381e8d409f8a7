"""Door check-in: member passes, kiosks, visits, denied attempts, door settings.

Bookings read `Visit(member, entered_at)` to mark class attendance; keep it simple.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.billing.tiers import Tier


class MemberPass(models.Model):
    """A member's pass secret. Codes are derived from it (HMAC), never stored: rotating
    codes from the current time step, printed-card codes from `card_serial`. Revoking a
    card bumps nothing but `card_revoked_at`; issuing a new one bumps the serial, so every
    older printed card stops working."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="door_pass"
    )
    secret = models.CharField(max_length=64, editable=False)
    card_serial = models.PositiveIntegerField(default=0, editable=False)
    card_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    card_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member pass")
        verbose_name_plural = _("member passes")

    def __str__(self) -> str:
        return f"pass of member {self.member_id}"

    @property
    def has_active_card(self) -> bool:
        return self.card_serial > 0 and self.card_revoked_at is None


class KioskMode(models.TextChoices):
    ENTRY = "entry", _("Entry")
    EXIT = "exit", _("Exit")
    BOTH = "both", _("Entry and exit")


class Kiosk(models.Model):
    """A door device. Its token is shown once; only its SHA-256 is stored."""

    name = models.CharField(_("name"), max_length=80)
    mode = models.CharField(_("mode"), max_length=8, choices=KioskMode.choices)
    # Tiers let in through this kiosk's door (an area); empty means every tier.
    allowed_tiers = ArrayField(
        models.CharField(max_length=12, choices=Tier.choices),
        default=list,
        blank=True,
        verbose_name=_("tiers allowed"),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class VisitMethod(models.TextChoices):
    QR = "qr", _("App pass")
    CARD = "card", _("Printed card")
    DESK = "desk", _("Front desk")


class ExitMethod(models.TextChoices):
    KIOSK = "kiosk", _("Kiosk")
    DESK = "desk", _("Front desk")
    AUTO = "auto", _("Automatic")
    REENTRY = "reentry", _("Entered again")


class Visit(models.Model):
    """A granted entry. People inside now = visits without `exited_at`."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="visits")
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    exited_at = models.DateTimeField(_("left at"), null=True, blank=True)
    method = models.CharField(_("how"), max_length=8, choices=VisitMethod.choices)
    exit_method = models.CharField(
        _("how they left"), max_length=8, choices=ExitMethod.choices, blank=True
    )
    kiosk = models.ForeignKey(
        Kiosk, on_delete=models.SET_NULL, null=True, blank=True, related_name="visits"
    )
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Let in despite a refusal ("Let in anyway"): which refusal and why; who is
    # `checked_in_by`. One-to-one, so a double submit cannot make two visits of one refusal.
    override_of = models.OneToOneField(
        "DeniedAttempt",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="override",
        verbose_name=_("overrides refusal"),
    )
    # db_default: the door's raw INSERT (services._ENTER) names only the columns it sets.
    override_reason = models.CharField(
        _("override reason"), max_length=300, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-entered_at", "-id"]
        permissions = [("override_refusal", _("Can let a refused member in anyway"))]
        constraints = [
            # One open visit per member: two scans at once cannot both let a person in.
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(exited_at__isnull=True),
                name="visit_one_open_per_member",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "entered_at"], name="visit_member_entered_idx"),
            models.Index(fields=["entered_at"], name="visit_entered_idx"),
            models.Index(
                fields=["entered_at"],
                condition=models.Q(exited_at__isnull=True),
                name="visit_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"visit {self.pk} of member {self.member_id}"


class DenyReason(models.TextChoices):
    UNKNOWN_CODE = "unknown_code", _("Unknown code")
    EXPIRED_CODE = "expired_code", _("Expired code")
    REVOKED_CODE = "revoked_code", _("Revoked card")
    NOT_ACTIVE = "member_not_active", _("Membership not active")
    PAYMENT_OVERDUE = "payment_overdue", _("Payment overdue")
    CLOSED = "closed", _("Outside opening hours")
    ALREADY_INSIDE = "already_inside", _("Already inside")
    TIER_NOT_ALLOWED = "tier_not_allowed", _("Not included in the membership")
    FULL = "full", _("Gym full")


class DeniedAttempt(models.Model):
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=DenyReason.choices)
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="denied_attempts",
    )
    kiosk = models.ForeignKey(
        Kiosk, on_delete=models.SET_NULL, null=True, blank=True, related_name="denied_attempts"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What was presented, cut short: enough to investigate, never a usable card code.
    code_presented = models.CharField(_("code presented"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("denied attempt")
        verbose_name_plural = _("denied attempts")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.reason} at {self.at:%Y-%m-%d %H:%M}"


class ScanReceipt(models.Model):
    """The answer given to one scan, by the kiosk's idempotency key: a replayed scan gets
    the same answer and counts once."""

    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="receipts")
    key = models.CharField(max_length=100)
    result = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("scan receipt")
        verbose_name_plural = _("scan receipts")
        constraints = [
            models.UniqueConstraint(fields=["kiosk", "key"], name="scan_receipt_kiosk_key")
        ]

    def __str__(self) -> str:
        return f"{self.kiosk_id}:{self.key}"


class DoorSettings(models.Model):
    """The gym's door rules: one row per gym schema (pk 1)."""

    anti_passback = models.BooleanField(
        _("anti-passback"),
        default=True,
        help_text=_("Refuse an entry while the member is already inside."),
    )
    auto_checkout_hours = models.PositiveSmallIntegerField(
        _("automatic checkout after (hours)"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), default=0, help_text=_("People allowed inside at once; 0 if not set.")
    )
    refuse_when_full = models.BooleanField(
        _("refuse entries when full"),
        default=False,
        help_text=_("Once capacity people are inside, the door lets nobody else in."),
    )
    busy_percent = models.PositiveSmallIntegerField(
        _("busy from (% of capacity)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    very_busy_percent = models.PositiveSmallIntegerField(
        _("very busy from (% of capacity)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    kiosk_message = models.CharField(
        _("message on kiosks"), max_length=200, blank=True, help_text=_("Shown on every kiosk.")
    )
    # Hours a tier may enter, like opening hours: {"free": {"mon": [["10:00", "16:00"]]}}.
    # A tier without an entry may come whenever the gym is open.
    tier_hours = models.JSONField(_("hours by tier"), default=dict, blank=True)

    class Meta:
        verbose_name = _("door settings")
        verbose_name_plural = _("door settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="door_settings_one")]

    def __str__(self) -> str:
        return "door settings"

    @classmethod
    def load(cls) -> "DoorSettings":
        """The gym's row (made with the defaults on first use)."""
        found = cls.objects.filter(pk=1).first()
        if found is None:
            found, _created = cls.objects.get_or_create(pk=1)
        return found
