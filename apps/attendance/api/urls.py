"""Door API routes (passes, visits, occupancy, desk check-in), included under /api/v1/ by
config/urls_tenant.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

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

urlpatterns = [
    path("me/pass/", MyPassView.as_view(), name="my-pass"),
    path("me/visits/", MyVisitsView.as_view(), name="my-visits"),
    path("occupancy/", OccupancyView.as_view(), name="occupancy"),
    path("occupancy/typical/", TypicalOccupancyView.as_view(), name="occupancy-typical"),
    path("check-ins/", CheckInView.as_view(), name="check-in"),
    *router.urls,
]
