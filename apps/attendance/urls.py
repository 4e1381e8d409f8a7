"""Door pages of the staff dashboard, included under /dashboard/check-ins/ by
config/urls_tenant.py."""

from django.urls import path

from apps.attendance import views

urlpatterns = [
    path("", views.OccupancyPageView.as_view(), name="checkins-home"),
    path("check-in/", views.DeskCheckInView.as_view(), name="checkins-desk"),
    path("visits/", views.VisitListView.as_view(), name="checkins-visits"),
    path("visits.csv", views.VisitCsvView.as_view(), name="checkins-visits-csv"),
    path("visits/<int:pk>/check-out/", views.VisitCheckOutView.as_view(), name="checkins-checkout"),
    path(
        "refusals/<int:pk>/override/",
        views.RefusalOverrideView.as_view(),
        name="checkins-override",
    ),
    path("kiosks/", views.KioskListView.as_view(), name="checkins-kiosks"),
    path("kiosks/<int:pk>/revoke/", views.KioskRevokeView.as_view(), name="checkins-kiosk-revoke"),
    path("settings/", views.DoorSettingsView.as_view(), name="checkins-settings"),
    path("members/<int:pk>/pass/", views.MemberPassView.as_view(), name="checkins-member-pass"),
]
