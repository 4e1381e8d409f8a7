"""Notifications API routes, included under /api/v1/ by config/urls_tenant.py."""

from django.urls import path

from apps.notifications.api.views import DeviceCreateView, DeviceDetailView, VapidKeyView

# Push devices.
device_urls = [
    path("devices/", DeviceCreateView.as_view(), name="device-list"),
    path("devices/<int:pk>/", DeviceDetailView.as_view(), name="device-detail"),
    path("notifications/vapid-key/", VapidKeyView.as_view(), name="notification-vapid-key"),
]

urlpatterns: list = [*device_urls]
