"""Every write on classes and personal training, by concern: booking.py (book, cancel, the
waitlist, attendance, penalties, the policy), schedule.py (recurring schedules, sessions,
closures, schedules set up in the dashboard), setup.py (rooms and class types), training.py
(1:1 requests and trainers' hours), calendar.py (private feed URLs).
Callers import from here: `from apps.bookings.services import booking_create`. (Class
credits are billing's: apps.billing.services.)"""

from apps.bookings.services.booking import (
    MEMBER_POLICY_FIELDS,
    POLICY_FIELDS,
    booking_cancel,
    booking_create,
    booking_link_visit,
    booking_mark_attendance,
    fees_charge,
    no_show_corrected,
    no_shows_mark_due,
    penalty_waive,
    policy_update,
    session_notice_context,
    waitlists_close_due,
)
from apps.bookings.services.calendar import calendar_feed_for
from apps.bookings.services.reminders import (
    booking_reminder_set,
    booking_reminders_cancel,
    session_reminders_sync,
)
from apps.bookings.services.schedule import (
    ScheduleResult,
    closure_create,
    rrule_validate,
    schedule_create,
    schedule_occurrences,
    schedule_stop,
    schedule_update,
    session_cancel,
    session_update,
    sessions_generate,
)
from apps.bookings.services.setup import class_type_save, room_delete, room_in_use, room_save
from apps.bookings.services.training import (
    pt_cancel,
    pt_decide,
    pt_mark_attendance,
    pt_request,
    trainer_hours_set,
)

__all__ = [
    "MEMBER_POLICY_FIELDS",
    "POLICY_FIELDS",
    "ScheduleResult",
    "booking_cancel",
    "booking_create",
    "booking_link_visit",
    "booking_mark_attendance",
    "booking_reminder_set",
    "booking_reminders_cancel",
    "calendar_feed_for",
    "class_type_save",
    "closure_create",
    "fees_charge",
    "no_show_corrected",
    "no_shows_mark_due",
    "penalty_waive",
    "policy_update",
    "pt_cancel",
    "pt_decide",
    "pt_mark_attendance",
    "pt_request",
    "room_delete",
    "room_in_use",
    "room_save",
    "rrule_validate",
    "schedule_create",
    "schedule_occurrences",
    "schedule_stop",
    "schedule_update",
    "session_cancel",
    "session_notice_context",
    "session_reminders_sync",
    "session_update",
    "sessions_generate",
    "trainer_hours_set",
    "waitlists_close_due",
]
