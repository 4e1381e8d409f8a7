"""Members' API routes, included under /api/v1/ by config/urls_tenant.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.members.api.views import MemberViewSet, MeView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False  # /api/v1/ has no browsable index

router.register("members", MemberViewSet, basename="member")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
