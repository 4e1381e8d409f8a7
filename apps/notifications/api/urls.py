"""Notifications API routes, included under /api/v1/ by config/urls_tenant.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.notifications.api.views import NotificationViewSet, PreferencesView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False  # /api/v1/ has no browsable index
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("notifications/preferences/", PreferencesView.as_view(), name="notification-preferences"),
    *router.urls,
]
