"""Public gym directory: apps find their gym's domain here, then talk to that domain."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from apps.common.api.throttling import AnonRateThrottle
from apps.tenants.models import Gym
from apps.tenants.selectors import gym_directory, gym_primary_domain


class GymDirectorySerializer(serializers.ModelSerializer):
    domain = serializers.SerializerMethodField()
    logo = serializers.ImageField(read_only=True)

    class Meta:
        model = Gym
        fields = [
            "name",
            "opening_hours",
            "slug",
            "domain",
            "logo",
            "primary_colour",
            "time_zone",
            "default_language",
            "allow_member_signup",
        ]

    def get_domain(self, gym) -> str:
        return gym_primary_domain(gym=gym)


class GymDirectoryView(generics.ListAPIView):
    """The platform's public directory: active gyms by name (`q` matches the name or the
    web address), each with the domain its app talks to from then on. No sign-in."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]
    serializer_class = GymDirectorySerializer

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Part of a gym's name or address")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return gym_directory(query=self.request.query_params.get("q", ""))
