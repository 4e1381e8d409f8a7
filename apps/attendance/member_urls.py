"""Door pages of the member web app (the pass, how busy it is), included under /app/ by
config/urls_tenant.py."""

from django.urls import path

from apps.attendance import member

urlpatterns = [
    path("pass/", member.PassView.as_view(), name="member-pass"),
    path("pass/code/", member.PassCodeView.as_view(), name="member-pass-code"),
    path("occupancy/", member.OccupancyView.as_view(), name="member-occupancy"),
    path("occupancy/now/", member.OccupancyNowView.as_view(), name="member-occupancy-now"),
]
