"""Classes, bookings and personal-training API routes, included under /api/v1/ by
config/urls_tenant.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.bookings.api.views import (
    BookingViewSet,
    CalendarFeedView,
    PolicyView,
    PTBookingViewSet,
    SessionViewSet,
    TrainerViewSet,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False  # /api/v1/ has no browsable index

router.register("classes/sessions", SessionViewSet, basename="class-session")
router.register("bookings", BookingViewSet, basename="booking")
router.register("trainers", TrainerViewSet, basename="trainer")
router.register("pt-bookings", PTBookingViewSet, basename="pt-booking")

urlpatterns = [
    path("classes/policy/", PolicyView.as_view(), name="class-policy"),
    path("calendar-feed/", CalendarFeedView.as_view(), name="calendar-feed"),
    *router.urls,
]
