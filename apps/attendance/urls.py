"""Door URLs, mounted by config/urls_tenant.py: `api` under /api/v1/, `dashboard` under
/dashboard/check-ins/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.attendance import views
from apps.attendance.api.views import (
    CheckInView,
    MyPassView,
    MyVisitsView,
    OccupancyView,
    TypicalOccupancyView,
    VisitViewSet,
)

router = SimpleRouter(trailing_slash=True)
router.register("visits", VisitViewSet, basename="visit")

api = [
    path("me/pass/", MyPassView.as_view(), name="my-pass"),
    path("me/visits/", MyVisitsView.as_view(), name="my-visits"),
    path("occupancy/", OccupancyView.as_view(), name="occupancy"),
    path("occupancy/typical/", TypicalOccupancyView.as_view(), name="occupancy-typical"),
    path("check-ins/", CheckInView.as_view(), name="check-in"),
    *router.urls,
]

dashboard = [
    path("", views.OccupancyPageView.as_view(), name="checkins-home"),
    path("check-in/", views.DeskCheckInView.as_view(), name="checkins-desk"),
    path("visits/", views.VisitListView.as_view(), name="checkins-visits"),
    path("visits.csv", views.VisitCsvView.as_view(), name="checkins-visits-csv"),
    path("visits/<int:pk>/check-out/", views.VisitCheckOutView.as_view(), name="checkins-checkout"),
    path("kiosks/", views.KioskListView.as_view(), name="checkins-kiosks"),
    path("kiosks/<int:pk>/revoke/", views.KioskRevokeView.as_view(), name="checkins-kiosk-revoke"),
    path("settings/", views.DoorSettingsView.as_view(), name="checkins-settings"),
    path("members/<int:pk>/pass/", views.MemberPassView.as_view(), name="checkins-member-pass"),
]
