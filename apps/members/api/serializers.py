from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.members.models import Member
from apps.members.services import SELF_EDITABLE_FIELDS, STAFF_EDITABLE_FIELDS
from apps.tenants.models import TIME_ZONE_CHOICES


def validate_photo_size(photo):
    if photo and photo.size > settings.MAX_IMAGE_UPLOAD_BYTES:
        raise serializers.ValidationError(_("The photo is larger than 5 MB."))
    return photo


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class OptionalEmailField(serializers.CharField):
    """A member's email as read (never written through it): an address, or "" for a member
    without one. The model's EmailField made the schema say `format: email`, which "" is
    not."""


class PersonalSettingsMixin(serializers.Serializer):
    """A member's language and time zone as read. Declared, not left to the ModelSerializer:
    read-only model fields lose `allow_blank`, so the schema's enum left out "" (= the
    gym's), which most members have (the API fuzz test found it)."""

    language = serializers.ChoiceField(choices=settings.LANGUAGES, allow_blank=True, read_only=True)
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, allow_blank=True, read_only=True)


class HouseholdSerializer(serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = ["id", "number", "first_name", "last_name"]


class MemberSerializer(PersonalSettingsMixin, serializers.ModelSerializer):
    """What staff read about a member."""

    household = HouseholdSerializer(read_only=True, allow_null=True)
    email = OptionalEmailField(read_only=True)
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = ["id", "number", *STAFF_EDITABLE_FIELDS, "has_login", "created_at", "updated_at"]
        read_only_fields = fields

    def get_has_login(self, member) -> bool:
        return member.user_id is not None


class MemberListSerializer(serializers.ModelSerializer):
    """A row of the staff member list: what a list or search shows, no more. Cheaper to
    build than the full record (measured: the list is the API's most used call)."""

    email = OptionalEmailField(read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "number",
            "first_name",
            "last_name",
            "email",
            "phone",
            "photo",
            "status",
            "tier",
            "tags",
            "household",
            "joined_on",
        ]
        read_only_fields = fields


class MemberWriteSerializer(serializers.ModelSerializer):
    """What staff may send; the service applies it."""

    household = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.all(), allow_null=True, required=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=32), max_length=20, required=False
    )
    photo = serializers.ImageField(
        required=False,
        allow_null=True,
        validators=[validate_photo_size, FileExtensionValidator(["jpg", "jpeg", "png", "webp"])],
    )

    class Meta:
        model = Member
        fields = list(STAFF_EDITABLE_FIELDS)


class MeSerializer(PersonalSettingsMixin, serializers.ModelSerializer):
    """The logged-in member's own profile, with what their tier allows."""

    entitlements = serializers.SerializerMethodField()
    email = OptionalEmailField(read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "number",
            "first_name",
            "last_name",
            "email",
            "phone",
            "date_of_birth",
            "emergency_contact_name",
            "emergency_contact_phone",
            "language",
            "time_zone",
            "photo",
            "status",
            "tier",
            "joined_on",
            "entitlements",
        ]
        read_only_fields = fields

    def get_entitlements(self, member) -> dict:
        return self.context["entitlements"].as_dict()


class MeUpdateSerializer(serializers.ModelSerializer):
    photo = serializers.ImageField(
        required=False, allow_null=True, validators=[validate_photo_size]
    )

    class Meta:
        model = Member
        fields = list(SELF_EDITABLE_FIELDS)
