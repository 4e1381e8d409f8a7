"""Staff dashboard pages for classes (mounted under /dashboard/classes/)."""

from django.urls import path

from apps.bookings.views import (
    PenaltyListView,
    PenaltyWaiveView,
    PolicySettingsView,
    SessionRosterView,
    TrainerHoursView,
    TrainingListView,
    WeekView,
)

dashboard_urls = [
    path("", WeekView.as_view(), name="class-week"),
    path("sessions/<int:pk>/", SessionRosterView.as_view(), name="class-session"),
    path("policy/", PolicySettingsView.as_view(), name="class-policy-settings"),
    path("penalties/", PenaltyListView.as_view(), name="class-penalties"),
    path("penalties/<int:pk>/waive/", PenaltyWaiveView.as_view(), name="class-penalty-waive"),
    path("training/", TrainingListView.as_view(), name="class-training"),
    path("my-hours/", TrainerHoursView.as_view(), name="class-my-hours"),
]
