from django.urls import reverse
from rest_framework import serializers

from apps.assessments.models import Attempt, QuotaBlock
from apps.assessments.reasons import reason_text
from apps.assessments.services import video_token


class AttemptSerializer(serializers.ModelSerializer):
    test_name = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    video_url = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "member",
            "test_id",
            "test_name",
            "catalogue_version",
            "status",
            "bucket",
            "confidence",
            "reason",
            "result",
            "video_info",
            "video_url",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_test_name(self, obj) -> str:
        return str(obj.spec.name)

    def get_reason(self, obj) -> dict | None:
        if not obj.reason_code:
            return None
        message, hint = reason_text(obj.reason_code)
        return {
            "code": obj.reason_code,
            "message": message,
            "hint": hint,
            "detail": obj.reason_detail,
        }

    def get_video_url(self, obj) -> str | None:
        request = self.context.get("request")
        if request is None or not obj.video:
            return None
        token = video_token(attempt=obj, user=request.user)
        return request.build_absolute_uri(reverse("v1:assessment-video", args=[token]))


class AttemptCreateSerializer(serializers.Serializer):
    test = serializers.IntegerField(min_value=1, max_value=15)
    video = serializers.FileField(allow_empty_file=False, use_url=False)


class QuotaBlockSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = QuotaBlock
        fields = [
            "id",
            "member",
            "member_name",
            "reason",
            "reason_display",
            "created_at",
            "until",
            "active",
            "lifted_at",
            "lifted_by",
        ]
        read_only_fields = fields
