"""Retest reminders move onto apps.notifications' Reminder rows: each member's latest
scored attempt gets the quick (2 weeks) and full (4 weeks) reminders the old 6-hourly job
had not sent yet (an audit event marked a sent one). One already due goes out at the next
tick, as the old job would have sent it; a quick one is dropped once the full one is due."""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection, migrations
from django.utils import timezone

QUICK, FULL = timedelta(weeks=2), timedelta(weeks=4)


def _zone(name: str) -> str:
    try:
        return ZoneInfo(name or "UTC").key
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def forwards(apps, schema_editor):
    if connection.schema_name == "public":
        return
    Attempt = apps.get_model("assessments", "Attempt")
    AuditEvent = apps.get_model("assessments", "AuditEvent")
    Reminder = apps.get_model("notifications", "Reminder")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT time_zone FROM public.tenants_gym WHERE schema_name = %s",
            [connection.schema_name],
        )
        row = cursor.fetchone()
    gym_zone = _zone(row[0] if row else "")
    now = timezone.now()
    latest = (
        Attempt.objects.filter(status="valid", member__isnull=False)
        .order_by("member_id", "-created_at")
        .distinct("member_id")
        .select_related("member")
    )
    rows = []
    for attempt in latest:
        sent = set(
            AuditEvent.objects.filter(
                member_id=attempt.member_id,
                event="assessment.retest_reminder",
                data__basis=attempt.pk,
            ).values_list("data__kind", flat=True)
        )
        if "full" in sent:
            continue
        zone = _zone(attempt.member.time_zone) if attempt.member.time_zone else gym_zone
        for kind, after in (("quick", QUICK), ("full", FULL)):
            at = attempt.created_at + after
            if kind in sent or (kind == "quick" and now >= attempt.created_at + FULL):
                continue
            local = at.astimezone(ZoneInfo(zone))
            rows.append(
                Reminder(
                    member_id=attempt.member_id,
                    kind="assessment_retest",
                    local_time=local.time().replace(tzinfo=None, second=0, microsecond=0),
                    on_date=local.date(),
                    time_zone=zone,
                    context={"attempt": attempt.pk, "kind": kind},
                    source=f"member:{attempt.member_id}:{kind}",
                    next_at=at.replace(second=0, microsecond=0),
                    active=True,
                )
            )
    Reminder.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0002_attempt_claim_task"),
        ("members", "0004_member_language_member_time_zone"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
