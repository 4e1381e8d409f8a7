"""Setting up classes from the dashboard: rooms and class types (schedules are in
schedule.py, next to the generator they publish with)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.bookings.cache import timetable_changed
from apps.bookings.models import ClassSession, ClassType, Room, Schedule, SessionStatus
from apps.common.errors import ApplicationError

ROOM_FIELDS = ("name", "capacity")
CLASS_TYPE_FIELDS = (
    "name",
    "description",
    "duration_minutes",
    "capacity",
    "level",
    "room",
    "required_tier",
    "is_active",
)


def _unique_name(model, name: str, pk: int | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(
            _("Give a name."), code="name_required", details={"name": [_("Give a name.")]}
        )
    if model.objects.filter(name__iexact=name).exclude(pk=pk).exists():
        message = _("%(name)s already exists.") % {"name": name}
        raise ApplicationError(message, code="duplicate_name", details={"name": [message]})
    return name


def room_save(*, data: dict, room: Room | None = None, by=None) -> Room:
    """Create a room, or change one (its name and capacity)."""
    room = room or Room()
    room.name = _unique_name(Room, data["name"], room.pk)
    room.capacity = data["capacity"]
    room.save()
    timetable_changed()
    return room


def room_in_use(room: Room) -> bool:
    return (
        ClassType.objects.filter(room=room).exists()
        or Schedule.objects.filter(room=room, is_active=True).exists()
        or ClassSession.objects.filter(
            room=room, status=SessionStatus.SCHEDULED, starts_at__gt=timezone.now()
        ).exists()
    )


def room_delete(*, room: Room, by=None) -> None:
    """Delete a room nothing uses: no class type, no active schedule, no upcoming class."""
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        if room_in_use(room):
            raise ApplicationError(
                _(
                    "%(room)s is used by a class, a schedule or an upcoming session; move "
                    "them to another room first."
                )
                % {"room": room.name},
                code="room_in_use",
            )
        room.delete()
        timetable_changed()


def class_type_save(*, data: dict, class_type: ClassType | None = None, by=None) -> ClassType:
    """Create a class type, or change one. Deactivating it stops new sessions (the
    generator skips inactive classes); sessions already published stay."""
    class_type = class_type or ClassType()
    class_type.name = _unique_name(ClassType, data["name"], class_type.pk)
    for key in CLASS_TYPE_FIELDS[1:]:
        if key in data:
            setattr(class_type, key, data[key])
    class_type.save()
    timetable_changed()
    return class_type
