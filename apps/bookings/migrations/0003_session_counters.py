"""Booked and waitlisted counters on ClassSession, kept by a trigger on bookings_booking.

Why a trigger rather than the services: the counters then hold for every writer (the
services, the admin, scripts, raw SQL, data migrations) in the same transaction as the
booking write, and the services already lock the session row before writing a booking, so
the trigger's UPDATE of that row adds no new lock (and no new lock order). The function
names its table by the schema of the booking row (TG_TABLE_SCHEMA), so it is correct in
every gym's schema, including schemas cloned from the template.
"""

from django.db import migrations, models

COUNTERS_SQL = """
CREATE FUNCTION bookings_session_counters() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_place int := 0;
    old_wait int := 0;
    new_place int := 0;
    new_wait int := 0;
    sql text := format(
        'UPDATE %I.bookings_classsession SET booked_count = booked_count + $1, '
        'waitlist_count = waitlist_count + $2 WHERE id = $3', TG_TABLE_SCHEMA);
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_place := (OLD.status IN ('booked', 'attended', 'no_show'))::int;
        old_wait := (OLD.status = 'waitlisted')::int;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_place := (NEW.status IN ('booked', 'attended', 'no_show'))::int;
        new_wait := (NEW.status = 'waitlisted')::int;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.session_id = NEW.session_id THEN
        IF new_place <> old_place OR new_wait <> old_wait THEN
            EXECUTE sql USING new_place - old_place, new_wait - old_wait, NEW.session_id;
        END IF;
        RETURN NULL;
    END IF;
    IF old_place + old_wait > 0 THEN
        EXECUTE sql USING -old_place, -old_wait, OLD.session_id;
    END IF;
    IF new_place + new_wait > 0 THEN
        EXECUTE sql USING new_place, new_wait, NEW.session_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER booking_session_counters
AFTER INSERT OR DELETE OR UPDATE OF status, session_id ON bookings_booking
FOR EACH ROW EXECUTE FUNCTION bookings_session_counters();

-- Existing bookings (the trigger is in place and the ALTER TABLEs above hold the
-- session table's lock, so no booking is written between this count and the trigger).
UPDATE bookings_classsession s
SET booked_count = c.booked, waitlist_count = c.waiting
FROM (
    SELECT session_id,
           count(*) FILTER (WHERE status IN ('booked', 'attended', 'no_show')) AS booked,
           count(*) FILTER (WHERE status = 'waitlisted') AS waiting
    FROM bookings_booking
    GROUP BY session_id
) c
WHERE c.session_id = s.id;
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS booking_session_counters ON bookings_booking;
DROP FUNCTION IF EXISTS bookings_session_counters();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0002_personal_training_and_feeds"),
    ]

    operations = [
        migrations.AddField(
            model_name="classsession",
            name="booked_count",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="booked"),
        ),
        migrations.AddField(
            model_name="classsession",
            name="waitlist_count",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="on the waitlist"
            ),
        ),
        migrations.RunSQL(COUNTERS_SQL, REVERSE_SQL),
    ]
