"""Classes pages of the staff dashboard, included under /dashboard/classes/ by
config/urls_tenant.py."""

from django.urls import path

from apps.bookings.views import (
    ClassTypeFormView,
    ClassTypeListView,
    PenaltyListView,
    PenaltyWaiveView,
    PolicySettingsView,
    RoomDeleteView,
    RoomFormView,
    RoomListView,
    ScheduleFormView,
    ScheduleListView,
    ScheduleStopView,
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
    # Set-up: what the timetable is made of.
    path("types/", ClassTypeListView.as_view(), name="class-types"),
    path("types/new/", ClassTypeFormView.as_view(), name="class-type-new"),
    path("types/<int:pk>/", ClassTypeFormView.as_view(), name="class-type-edit"),
    path("rooms/", RoomListView.as_view(), name="class-rooms"),
    path("rooms/new/", RoomFormView.as_view(), name="class-room-new"),
    path("rooms/<int:pk>/", RoomFormView.as_view(), name="class-room-edit"),
    path("rooms/<int:pk>/delete/", RoomDeleteView.as_view(), name="class-room-delete"),
    path("schedules/", ScheduleListView.as_view(), name="class-schedules"),
    path("schedules/new/", ScheduleFormView.as_view(), name="class-schedule-new"),
    path("schedules/<int:pk>/", ScheduleFormView.as_view(), name="class-schedule-edit"),
    path("schedules/<int:pk>/stop/", ScheduleStopView.as_view(), name="class-schedule-stop"),
]
