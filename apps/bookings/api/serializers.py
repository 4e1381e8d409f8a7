from zoneinfo import available_timezones

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer, inline_serializer
from rest_framework import serializers

from apps.bookings.models import (
    Booking,
    ClassSession,
    ClassType,
    PTBooking,
    PTSessionType,
    Room,
    TrainerProfile,
)


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
    # A class may have no trainer or room yet: null.
    instructor = InstructorBriefSerializer(read_only=True, allow_null=True)
    room = RoomBriefSerializer(read_only=True, allow_null=True)
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


# The timetable is the `list` action but one object, not a list: many=False tells the
# schema so (its heuristic would document an array).
@extend_schema_serializer(many=False)
class TimetableSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    # "from" is a keyword: fields declared by name below.
    to = serializers.DateField()
    results = SessionSerializer(many=True)

    def get_fields(self):
        return {"from": serializers.DateField(), **super().get_fields()}


class BookedSessionSerializer(serializers.ModelSerializer):
    class_type = ClassTypeBriefSerializer(read_only=True)
    instructor = InstructorBriefSerializer(read_only=True, allow_null=True)
    room = RoomBriefSerializer(read_only=True, allow_null=True)

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
    credits = inline_serializer(
        "BookingCheckCredits",
        {
            "uses_credits": serializers.BooleanField(),
            "balance": serializers.IntegerField(),
            "cost": serializers.IntegerField(),
        },
        allow_null=True,
        help_text="Plans that pay classes with credits: the balance and what booking costs.",
    )


class SessionDetailSerializer(SessionSerializer):
    booking_check = serializers.SerializerMethodField()

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "booking_check"]
        read_only_fields = fields

    @extend_schema_field(BookingCheckSerializer(allow_null=True))
    def get_booking_check(self, session):
        return self.context.get("booking_check")


# --- Trainers and personal training -----------------------------------------------------


class PTSessionTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PTSessionType
        fields = ["id", "name", "duration_minutes", "price", "auto_confirm"]
        read_only_fields = fields


class TrainerSerializer(serializers.ModelSerializer):
    session_types = serializers.SerializerMethodField()

    class Meta:
        model = TrainerProfile
        fields = [
            "id",
            "display_name",
            "bio",
            "photo",
            "specialties",
            "languages",
            "certifications",
            "hourly_price",
            "rating",
            "session_types",
        ]
        read_only_fields = fields

    @extend_schema_field(PTSessionTypeSerializer(many=True))
    def get_session_types(self, trainer):
        active = [t for t in trainer.session_types.all() if t.is_active]
        return PTSessionTypeSerializer(active, many=True).data


class WishSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    start = serializers.TimeField()
    end = serializers.TimeField()

    def validate(self, data):
        if data["end"] <= data["start"]:
            raise serializers.ValidationError(_("The end must be after the start."))
        return data


class MatchRequestSerializer(serializers.Serializer):
    goals = serializers.ListField(
        child=serializers.CharField(max_length=60), max_length=10, required=False, default=list
    )
    language = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    availability = WishSerializer(many=True, required=False, default=list, max_length=21)
    time_zone = serializers.CharField(max_length=64, required=False, default="")
    budget = serializers.IntegerField(
        min_value=0, max_value=10_000_000, required=False, allow_null=True, default=None
    )

    def validate_time_zone(self, value):
        if value and value not in available_timezones():
            raise serializers.ValidationError(_("Unknown time zone."))
        return value


class MatchSerializer(serializers.Serializer):
    trainer = TrainerSerializer()
    score = serializers.FloatField()
    parts = serializers.DictField(child=serializers.FloatField())
    reasons = serializers.ListField(child=serializers.CharField())


class TrainerMatchSerializer(serializers.Serializer):
    method = serializers.CharField()
    results = MatchSerializer(many=True)


class PTBookingSerializer(serializers.ModelSerializer):
    trainer = InstructorBriefSerializer(read_only=True)
    session_type = PTSessionTypeSerializer(read_only=True)

    class Meta:
        model = PTBooking
        fields = [
            "id",
            "trainer",
            "session_type",
            "starts_at",
            "ends_at",
            "price",
            "status",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class PTRequestSerializer(serializers.Serializer):
    session_type = serializers.IntegerField(min_value=1)
    starts_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PTDecisionSerializer(serializers.Serializer):
    confirm = serializers.BooleanField()
