"""Writing to the audit trail: call `audit_record` inside the transaction of the action,
so the entry exists exactly when the action does."""

from __future__ import annotations

from django.db import models

from apps.audit.models import AuditEntry


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    reason: str = "",
    changes: dict | None = None,
    request_id: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        reason=reason,
        changes=changes or {},
        request_id=(request_id or "")[:64],
    )
