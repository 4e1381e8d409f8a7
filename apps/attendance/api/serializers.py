from rest_framework import serializers

from apps.attendance.models import Visit


class PassSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Show as a QR code; fetch a new one by expires_at.")
    expires_at = serializers.DateTimeField()
    refresh_seconds = serializers.IntegerField()
    member_number = serializers.IntegerField()
    has_card = serializers.BooleanField(help_text="Whether a printed card is active too.")


class OccupancySerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="People inside now.")
    capacity = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    level = serializers.ChoiceField(choices=["quiet", "busy", "very_busy", "full"], allow_null=True)
    at = serializers.DateTimeField()


class TypicalDaySerializer(serializers.Serializer):
    day = serializers.CharField()
    hours = serializers.ListField(child=serializers.FloatField(), min_length=24, max_length=24)


class TypicalOccupancySerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    time_zone = serializers.CharField()
    days = TypicalDaySerializer(many=True)


class CheckInRequestSerializer(serializers.Serializer):
    member = serializers.IntegerField(required=False, min_value=1)
    code = serializers.CharField(required=False, max_length=64, allow_blank=False)

    def validate(self, attrs):
        if bool(attrs.get("member")) == bool(attrs.get("code")):
            raise serializers.ValidationError("Send either a member id or a pass code.")
        return attrs


class MemberCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    photo_url = serializers.CharField(allow_null=True)
    tier = serializers.CharField()


class CheckInResultSerializer(serializers.Serializer):
    granted = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="granted, exit, or a deny reason: unknown_code, expired_code, revoked_code, "
        "member_not_active, payment_overdue, closed, already_inside, tier_not_allowed, full"
    )
    message = serializers.CharField()
    direction = serializers.ChoiceField(choices=["in", "out"])
    member = MemberCardSerializer(allow_null=True)
    visits_this_month = serializers.IntegerField(allow_null=True)
    visit_id = serializers.IntegerField(allow_null=True)
    occupancy = serializers.IntegerField(allow_null=True)
    replayed = serializers.BooleanField()


class VisitSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    member_number = serializers.IntegerField(source="member.number", read_only=True)
    kiosk_name = serializers.CharField(source="kiosk.name", read_only=True, default=None)

    class Meta:
        model = Visit
        fields = [
            "id",
            "member",
            "member_name",
            "member_number",
            "entered_at",
            "exited_at",
            "method",
            "exit_method",
            "kiosk",
            "kiosk_name",
        ]
        read_only_fields = fields


class MyVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Visit
        fields = ["id", "entered_at", "exited_at", "method"]
        read_only_fields = fields
