"""Serializers of the notifications API."""

from rest_framework import serializers

from apps.notifications.models import Device, DeviceKind

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


class ChannelsSerializer(serializers.Serializer):
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()
    webpush = serializers.BooleanField()
    fcm = serializers.BooleanField()


class VapidKeySerializer(serializers.Serializer):
    public_key = serializers.CharField(
        help_text="The VAPID public key (base64url): `applicationServerKey` for "
        "`pushManager.subscribe()`. Empty when web push is off."
    )
    channels = ChannelsSerializer(help_text="Which channels this installation sends on.")
