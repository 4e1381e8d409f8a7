"""The gym's audit trail: who did what to which row, why, and from which request.

Rows are only ever added (services.audit_record); admin shows them read-only. Assessments
keep their own older event log (apps.assessments.models.AuditEvent) for the pipeline.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # "<app>.<what>" e.g. "attendance.refusal_overridden".
    action = models.CharField(_("action"), max_length=60, db_index=True)
    # The row acted on, as "<app_label>.<model>" and its id (no foreign key: the trail
    # outlives the row).
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=40)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} · {self.target_type}:{self.target_id} · {self.at:%Y-%m-%d %H:%M}"
