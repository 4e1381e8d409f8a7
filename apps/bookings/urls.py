"""Classes pages of the staff dashboard, included under /dashboard/classes/ by
config/urls_tenant.py."""

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

urlpatterns = [
    path("", WeekView.as_view(), name="class-week"),
    path("sessions/<int:pk>/", SessionRosterView.as_view(), name="class-session"),
    path("policy/", PolicySettingsView.as_view(), name="class-policy-settings"),
    path("penalties/", PenaltyListView.as_view(), name="class-penalties"),
    path("penalties/<int:pk>/waive/", PenaltyWaiveView.as_view(), name="class-penalty-waive"),
    path("training/", TrainingListView.as_view(), name="class-training"),
    path("my-hours/", TrainerHoursView.as_view(), name="class-my-hours"),
]
