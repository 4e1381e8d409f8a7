from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.bookings.models import Booking, ClassSession, ClassType, Room, TrainerProfile


class ClassTypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClassType
        fields = ["id", "name", "level", "required_tier", "duration_minutes"]
        read_only_fields = fields


class InstructorBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainerProfile
        fields = ["id", "display_name"]
        read_only_fields = fields


class RoomBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Room
        fields = ["id", "name"]
        read_only_fields = fields


class MyBookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class SessionSerializer(serializers.ModelSerializer):
    """A class on the timetable. Times are UTC; `time_zone` on the page says the gym's."""

    class_type = ClassTypeBriefSerializer(read_only=True)
    instructor = InstructorBriefSerializer(read_only=True)
    room = RoomBriefSerializer(read_only=True)
    booked_count = serializers.IntegerField(read_only=True)
    waitlist_count = serializers.IntegerField(read_only=True)
    spots_left = serializers.SerializerMethodField()
    my_booking = serializers.SerializerMethodField()

    class Meta:
        model = ClassSession
        fields = [
            "id",
            "class_type",
            "instructor",
            "room",
            "starts_at",
            "ends_at",
            "capacity",
            "booked_count",
            "spots_left",
            "waitlist_count",
            "status",
            "cancelled_reason",
            "my_booking",
        ]
        read_only_fields = fields

    def get_spots_left(self, session) -> int:
        return max(session.capacity - session.booked_count, 0)

    @extend_schema_field(MyBookingSerializer(allow_null=True))
    def get_my_booking(self, session):
        booking_id = getattr(session, "my_booking_id", None)
        if booking_id is None:
            return None
        return {"id": booking_id, "status": session.my_booking_status}


class BookedSessionSerializer(serializers.ModelSerializer):
    class_type = ClassTypeBriefSerializer(read_only=True)
    instructor = InstructorBriefSerializer(read_only=True)
    room = RoomBriefSerializer(read_only=True)

    class Meta:
        model = ClassSession
        fields = [
            "id",
            "class_type",
            "instructor",
            "room",
            "starts_at",
            "ends_at",
            "status",
            "cancelled_reason",
        ]
        read_only_fields = fields


class BookingSerializer(serializers.ModelSerializer):
    session = BookedSessionSerializer(read_only=True)
    waitlist_position = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = ["id", "status", "session", "waitlist_position", "created_at", "cancelled_at"]
        read_only_fields = fields

    def get_waitlist_position(self, booking) -> int | None:
        if booking.status != "waitlisted":
            return None
        return getattr(booking, "waitlist_position", None)


class BookRequestSerializer(serializers.Serializer):
    join_waitlist = serializers.BooleanField(
        default=True, help_text=_("When the class is full, join its waitlist (default) or fail.")
    )


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class BookingCheckSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    outcome = serializers.ChoiceField(choices=["book", "waitlist", "none"])
    problems = ProblemSerializer(many=True)
    policy = serializers.ListField(child=serializers.CharField())


class SessionDetailSerializer(SessionSerializer):
    booking_check = serializers.SerializerMethodField()

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "booking_check"]
        read_only_fields = fields

    @extend_schema_field(BookingCheckSerializer(allow_null=True))
    def get_booking_check(self, session):
        return self.context.get("booking_check")
