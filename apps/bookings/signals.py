"""Any ORM write on what the timetable shows invalidates its cache (apps.bookings.cache):
the services bump the version themselves, and these receivers cover the admin, scripts
and data fixes that save or delete models directly. Within one transaction the bumps are
deduplicated, so a service's own call and the signals cost one bump."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from apps.bookings.cache import timetable_changed
from apps.bookings.models import Booking, ClassSession, ClassType, Room, TrainerProfile

# Sent when a class booking becomes attended (the roster, or a door entry before the class),
# inside the marking transaction: receivers only queue work after commit (apps.goals).
# kwargs: member_id, at (the class's start).
booking_attended = Signal()

TIMETABLE_MODELS = (ClassSession, Booking, ClassType, Room, TrainerProfile)


def _changed(sender, **kwargs):
    if kwargs.get("raw"):  # loaddata: no cache to keep right
        return
    timetable_changed()


def connect() -> None:
    for model in TIMETABLE_MODELS:
        post_save.connect(_changed, sender=model, dispatch_uid=f"timetable-save-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"timetable-delete-{model.__name__}"
        )
