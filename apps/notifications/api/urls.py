"""Notifications API routes, included under /api/v1/ by config/urls_tenant.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.notifications.api.views import (
    DeviceCreateView,
    DeviceDetailView,
    NotificationViewSet,
    PreferencesView,
    VapidKeyView,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False  # /api/v1/ has no browsable index
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("notifications/preferences/", PreferencesView.as_view(), name="notification-preferences"),
    # Before the router: its detail route would take "vapid-key" as an id otherwise.
    path("notifications/vapid-key/", VapidKeyView.as_view(), name="notification-vapid-key"),
    path("devices/", DeviceCreateView.as_view(), name="device-list"),
    path("devices/<int:pk>/", DeviceDetailView.as_view(), name="device-detail"),
    *router.urls,
]
