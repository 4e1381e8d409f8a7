"""WebSocket routes (all on gym domains)."""

from django.urls import path

from apps.assessments.consumers import AssessmentStatusConsumer
from apps.attendance.consumers import KioskConsumer, OccupancyConsumer
from apps.dashboard.consumers import StaffEventsConsumer
from apps.notifications.consumers import MyNotificationsConsumer

websocket_urlpatterns = [
    path("ws/staff/", StaffEventsConsumer.as_asgi()),
    path("ws/kiosk/", KioskConsumer.as_asgi()),
    path("ws/occupancy/", OccupancyConsumer.as_asgi()),
    path("ws/assessments/", AssessmentStatusConsumer.as_asgi()),
    path("ws/me/", MyNotificationsConsumer.as_asgi()),
]
