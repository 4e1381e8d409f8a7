"""What the notifications API sends and accepts: the inbox rows and the preferences."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.notifications.models import Category, Channel, Device, DeviceKind, Notification

QUIET_TIME_FORMAT = "%H:%M"


class NotificationSerializer(serializers.ModelSerializer):
    """One inbox row. `read` mirrors `read_at` for apps that only show a dot."""

    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "category",
            "title",
            "body",
            "url",
            "data",
            "created_at",
            "read_at",
            "read",
        ]
        read_only_fields = fields

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationPageSerializer(serializers.Serializer):
    """The list's envelope (for the OpenAPI schema): a cursor page plus the unread count."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    unread_count = serializers.IntegerField(help_text="Unread notifications in the whole inbox")
    results = NotificationSerializer(many=True)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Notifications marked read by this call")
    unread_count = serializers.IntegerField()


@extend_schema_field(
    {
        "type": "object",
        "properties": {"email": {"type": "boolean"}, "push": {"type": "boolean"}},
        "additionalProperties": False,
    }
)
class ChannelsField(serializers.Field):
    """`{"email": bool, "push": bool}`: on GET both; on PUT any of them. Other keys, or
    values that are not JSON true/false, are refused."""

    default_error_messages = {
        "not_an_object": _lazy('Send an object like {{"email": true, "push": false}}.'),
        "unknown_channel": _lazy("Unknown channel: {channel} (channels are email and push)."),
        "not_a_boolean": _lazy("Each channel is true or false."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_an_object")
        unknown = sorted(str(k) for k in data if k not in Channel.values)
        if unknown:
            self.fail("unknown_channel", channel=", ".join(unknown)[:100])
        if not all(isinstance(v, bool) for v in data.values()):
            self.fail("not_a_boolean")
        return dict(data)

    def to_representation(self, value):
        return dict(value)


class CategoryPreferenceSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=Category.choices)
    label = serializers.CharField(read_only=True, help_text="In the request's language")
    transactional = serializers.BooleanField(
        read_only=True,
        help_text="Some notifications of this category (a payment failed, a class was "
        "cancelled) are always emailed, whatever the email switch says",
    )
    channels = ChannelsField()


class ActiveChannelsSerializer(serializers.Serializer):
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()
    webpush = serializers.BooleanField()
    fcm = serializers.BooleanField()


class PreferencesSerializer(serializers.Serializer):
    """GET answers every category; PUT takes any of them (left out: unchanged) and the
    quiet hours: both times ("HH:MM", the person's time zone) or both null to clear."""

    categories = CategoryPreferenceSerializer(many=True, required=False, max_length=len(Category))
    quiet_start = serializers.TimeField(
        format=QUIET_TIME_FORMAT,
        input_formats=[QUIET_TIME_FORMAT],
        allow_null=True,
        required=False,
    )
    quiet_end = serializers.TimeField(
        format=QUIET_TIME_FORMAT,
        input_formats=[QUIET_TIME_FORMAT],
        allow_null=True,
        required=False,
    )
    time_zone = serializers.CharField(
        read_only=True, help_text="The zone quiet hours are in (the member's, else the gym's)"
    )
    active_channels = ActiveChannelsSerializer(
        read_only=True, help_text="Channels this installation sends on"
    )

    def validate_categories(self, value):
        keys = [c["key"] for c in value]
        if len(keys) != len(set(keys)):
            raise serializers.ValidationError(_("Each category may be listed once."))
        return value

    def validate(self, attrs):
        if ("quiet_start" in attrs) != ("quiet_end" in attrs) or (
            (attrs.get("quiet_start") is None) != (attrs.get("quiet_end") is None)
        ):
            raise serializers.ValidationError(
                {"quiet_end": [_("Quiet hours need both a start and an end.")]}
            )
        return attrs


# --- Push devices (POST /devices/, DELETE /devices/<id>/, GET /notifications/vapid-key/) ---


class SubscriptionKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class DeviceRegisterSerializer(serializers.Serializer):
    """A browser's `PushSubscription.toJSON()` (`endpoint`, `keys`; `expirationTime` is
    ignored), or an app's FCM token with `"kind": "fcm"`."""

    kind = serializers.ChoiceField(choices=DeviceKind.choices, default=DeviceKind.WEBPUSH)
    endpoint = serializers.CharField(required=False, max_length=2000, default="")
    keys = SubscriptionKeysSerializer(required=False)
    token = serializers.CharField(required=False, max_length=5000, default="")
    label = serializers.CharField(required=False, max_length=120, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["kind"] == DeviceKind.WEBPUSH:
            if not attrs.get("endpoint"):
                raise serializers.ValidationError({"endpoint": ["This field is required."]})
            if not attrs.get("keys"):
                raise serializers.ValidationError({"keys": ["This field is required."]})
        elif not attrs.get("token"):
            raise serializers.ValidationError({"token": ["This field is required."]})
        return attrs


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "kind", "label", "created_at", "last_used_at"]
        read_only_fields = fields


class VapidKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(
        help_text="The VAPID public key (base64url): `applicationServerKey` for "
        "`pushManager.subscribe()`. Empty when web push is off."
    )
    channels = ActiveChannelsSerializer(help_text="Which channels this installation sends on.")
