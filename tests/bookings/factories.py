"""Class bookings data, in the current schema: class types, schedules, sessions, bookings,
personal-training bookings."""

from datetime import time, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.bookings.models import (
    Booking,
    BookingStatus,
    ClassSession,
    ClassType,
    PTBooking,
    Schedule,
)
from tests.factories import MemberWithLoginFactory


class ClassTypeFactory(DjangoModelFactory):
    class Meta:
        model = ClassType

    name = factory.Sequence(lambda n: f"Class {n}")
    capacity = 10
    required_tier = "free"
    duration_minutes = 60


class ScheduleFactory(DjangoModelFactory):
    """A weekly class, every day at 09:00 (gym time) from today."""

    class Meta:
        model = Schedule

    class_type = factory.SubFactory(ClassTypeFactory)
    weekdays = factory.LazyFunction(lambda: [0, 1, 2, 3, 4, 5, 6])
    start_time = time(9, 0)
    starts_on = factory.LazyFunction(lambda: timezone.localdate())


class ClassSessionFactory(DjangoModelFactory):
    """One hour-long session of a new class type, starting `starts_in` from now (a day)."""

    class Meta:
        model = ClassSession

    class Params:
        starts_in = timedelta(days=1)
        required_tier = "free"

    capacity = 10
    class_type = factory.SubFactory(
        ClassTypeFactory,
        capacity=factory.SelfAttribute("..capacity"),
        required_tier=factory.SelfAttribute("..required_tier"),
    )
    starts_at = factory.LazyAttribute(lambda o: timezone.now() + o.starts_in)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))


class BookingFactory(DjangoModelFactory):
    """A booking row as it is stored (no booking rules: use `booking_create` for those)."""

    class Meta:
        model = Booking

    member = factory.SubFactory(MemberWithLoginFactory)
    session = factory.SubFactory(ClassSessionFactory)
    status = BookingStatus.BOOKED


class PTBookingFactory(DjangoModelFactory):
    """A personal-training booking as stored (no rules: use the training services for
    those), an hour from `starts_at` (in two days), at the session type's price and with
    its trainer: tests pass `session_type`."""

    class Meta:
        model = PTBooking

    member = factory.SubFactory(MemberWithLoginFactory)
    trainer = factory.LazyAttribute(lambda o: o.session_type.trainer)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    price = factory.LazyAttribute(lambda o: o.session_type.price)
    status = "confirmed"
