"""Bookings URLs outside the dashboard and the API, included at the root of the gym's
domain by config/urls_tenant.py: the private calendar feed that calendar apps fetch."""

from django.urls import path

from apps.bookings.views import calendar_feed_view

urlpatterns = [
    path("calendar/<str:token>.ics", calendar_feed_view, name="calendar-feed-ics"),
]
