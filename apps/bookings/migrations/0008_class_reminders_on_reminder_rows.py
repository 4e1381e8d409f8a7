"""Class reminders move onto apps.notifications' Reminder rows: every future booked place
whose reminder has not gone out gets its one-date reminder (class start minus the gym's
lead time, in the gym's time zone), then the old marker column goes."""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection, migrations
from django.utils import timezone


def _gym_zone() -> str:
    # The gym list is in the public schema (a shared app, not in this migration's state).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT time_zone FROM public.tenants_gym WHERE schema_name = %s",
            [connection.schema_name],
        )
        row = cursor.fetchone()
    name = row[0] if row else None
    try:
        return ZoneInfo(name or "UTC").key
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def forwards(apps, schema_editor):
    if connection.schema_name == "public":
        return
    Booking = apps.get_model("bookings", "Booking")
    BookingPolicy = apps.get_model("bookings", "BookingPolicy")
    Reminder = apps.get_model("notifications", "Reminder")
    policy = BookingPolicy.objects.filter(id=1).first()
    lead = policy.reminder_minutes_before if policy else 120
    if not lead:
        return
    zone = ZoneInfo(_gym_zone())
    now = timezone.now()
    rows = []
    for booking in Booking.objects.filter(
        status="booked",
        reminder_sent_at__isnull=True,
        session__status="scheduled",
        session__starts_at__gt=now,
    ).select_related("session"):
        at = booking.session.starts_at - timedelta(minutes=lead)
        local = at.astimezone(zone)
        rows.append(
            Reminder(
                member_id=booking.member_id,
                kind="booking_reminder",
                local_time=local.time().replace(tzinfo=None, second=0, microsecond=0),
                on_date=local.date(),
                time_zone=zone.key,
                context={"booking": booking.pk},
                source=f"booking:{booking.pk}",
                next_at=at.replace(second=0, microsecond=0),
                active=True,
            )
        )
    Reminder.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0007_penalty_charge"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="booking", name="reminder_sent_at"),
    ]
