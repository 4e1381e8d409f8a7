"""A member's profile in one gym (the login, if any, is a separate `accounts.User`), and
the imports of members from a gym's old system (CSV files)."""

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


class ImportStatus(models.TextChoices):
    DRAFT = "draft", _("Choosing the columns")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Stopped")


class ExistingMembers(models.TextChoices):
    """What an import does with a row whose member is already in the gym (same email, or
    same member number for a row without email)."""

    UPDATE = "update", _("Update them with the file's values")
    SKIP = "skip", _("Leave them as they are")


def member_import_path(member_import: "MemberImport", filename: str) -> str:
    # The schema leads the path so gyms never share a folder; the name is random (the
    # uploader's file name is kept on the row, never in the path).
    return f"{connection.schema_name}/members/imports/{uuid.uuid4().hex}.csv"


class MemberImport(models.Model):
    """One CSV file of members from the gym's old system: how it was read, how its columns
    map to member fields, and what importing it did (counts, the rows that failed).

    The file is deleted once the import is done (it holds personal data); the rows that
    failed stay in `errors`, with their line number, reason and values."""

    file = models.FileField(_("file"), upload_to=member_import_path, max_length=200, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20)
    delimiter = models.CharField(_("delimiter"), max_length=1)
    # The first line's cells; `mapping` has one member field key per column ("" = unused).
    header = models.JSONField(_("column names"), default=list)
    mapping = models.JSONField(_("column mapping"), default=list)
    on_existing = models.CharField(
        _("members already in the gym"),
        max_length=8,
        choices=ExistingMembers.choices,
        default=ExistingMembers.UPDATE,
    )
    default_status = models.CharField(
        _("status for rows without one"),
        max_length=12,
        choices=MemberStatus.choices,
        default=MemberStatus.ACTIVE,
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ImportStatus.choices,
        default=ImportStatus.DRAFT,
        db_index=True,
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    # [{"line": 7, "reason": "...", "values": [...cells of that line]}], in file order.
    errors = models.JSONField(_("failed rows"), default=list, blank=True)
    # Why the whole import stopped (status failed); rows that failed are in `errors`.
    failure = models.CharField(_("why it stopped"), max_length=300, blank=True)
    # The language of whoever pressed "Import": the reasons in `errors` are written in it.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # The task message running it: its own retry may take it over at once; another message
    # (queued again by the sweeper) only once the run has stalled.
    claim_task_id = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.finished else 0
        return min(100, self.processed_rows * 100 // self.total_rows)
