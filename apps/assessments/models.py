"""Assessment attempts (one clip of one test), submission blocks and the audit trail."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.assessments.catalogue import TESTS
from apps.assessments.reasons import reason_text


class AttemptStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    PROCESSING = "processing", _("Processing")
    VALID = "valid", _("Scored")
    INVALID = "invalid", _("Could not be measured")
    FAILED = "failed", _("Failed")


FINAL_STATUSES = frozenset({AttemptStatus.VALID, AttemptStatus.INVALID, AttemptStatus.FAILED})


class Bucket(models.TextChoices):
    PASS = "pass", _("Pass")
    LIMITED = "limited", _("Limited")
    SIGNIFICANT = "significant", _("Significant")


def attempt_video_path(attempt: Attempt, filename: str) -> str:
    # The schema leads the path so gyms never share a folder; the name is random (never
    # the uploader's) and the extension is the container we detected, not the one sent.
    ext = (attempt.video_info or {}).get("container", "bin")
    return f"{connection.schema_name}/assessments/{attempt.member_id}/{uuid.uuid4().hex}.{ext}"


class Attempt(models.Model):
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="assessment_attempts",
        verbose_name=_("member"),
    )
    # A catalogue id (catalogue.TESTS); no field choices, so the catalogue changes as data.
    test_id = models.PositiveSmallIntegerField(_("test"))
    catalogue_version = models.CharField(_("catalogue version"), max_length=20)
    video = models.FileField(_("video"), upload_to=attempt_video_path, max_length=200)
    video_info = models.JSONField(_("video details"), default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AttemptStatus.choices,
        default=AttemptStatus.QUEUED,
        db_index=True,
    )
    # Why a clip could not be measured (a gate) or why processing failed.
    reason_code = models.CharField(_("reason"), max_length=40, blank=True)
    reason_detail = models.CharField(_("reason detail"), max_length=200, blank=True)
    # The pose track (apps.assessments.track.Track.to_bytes: float16, compressed), so
    # results can be recomputed when scoring rules change.
    landmarks = models.BinaryField(_("landmarks"), null=True, blank=True, editable=False)
    result = models.JSONField(_("result"), null=True, blank=True)
    bucket = models.CharField(_("bucket"), max_length=12, choices=Bucket.choices, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    runs = models.PositiveSmallIntegerField(_("processing runs"), default=0)
    # The task message running it: its own redelivery (a worker died) may take it over
    # at once; another message (queued again by the sweeper) only once the run is stale.
    claim_task_id = models.CharField(max_length=64, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assessment attempt")
        verbose_name_plural = _("assessment attempts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "created_at"], name="attempt_member_time_idx"),
            models.Index(
                fields=["member", "test_id", "created_at"], name="attempt_member_test_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(test_id__gte=1, test_id__lte=15), name="attempt_known_test"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test_name} · {self.member_id} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def spec(self):
        return TESTS[self.test_id]

    @property
    def test_name(self) -> str:
        spec = TESTS.get(self.test_id)
        return str(spec.name) if spec else str(self.test_id)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def reason_message(self) -> str:
        return reason_text(self.reason_code)[0] if self.reason_code else ""

    @property
    def reason_hint(self) -> str:
        return reason_text(self.reason_code)[1] if self.reason_code else ""


class BlockReason(models.TextChoices):
    DAILY_CAP = "daily_cap", _("Daily limit of submissions exceeded")
    ABUSE = "abuse", _("Unusually many submissions in one day")


class QuotaBlock(models.Model):
    """A member may not submit clips until `until` (unless staff lift the block)."""

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="assessment_blocks",
        verbose_name=_("member"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=BlockReason.choices)
    created_at = models.DateTimeField(_("blocked at"), default=timezone.now)
    until = models.DateTimeField(_("blocked until"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )

    class Meta:
        verbose_name = _("submission block")
        verbose_name_plural = _("submission blocks")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "until"], name="block_member_until_idx")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} · {self.member_id} · {self.until:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None and self.until > timezone.now()


class AuditEvent(models.Model):
    """What happened to an attempt or a member's submissions, kept after the fact."""

    MEASUREMENT_FAILED = "assessment.measurement_failed"
    SUBMISSION_REFUSED = "assessment.submission_refused"
    BLOCKED = "assessment.blocked"
    BLOCK_LIFTED = "assessment.block_lifted"
    RETEST_REMINDER = "assessment.retest_reminder"

    event = models.CharField(_("event"), max_length=60, db_index=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    attempt = models.ForeignKey(
        Attempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("assessment audit event")
        verbose_name_plural = _("assessment audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "event", "created_at"], name="audit_member_idx")]

    def __str__(self) -> str:
        return f"{self.event} · {self.created_at:%Y-%m-%d %H:%M}"
