"""Members' pages of the member web app, included under /app/ by config/urls_tenant.py."""

from django.urls import path

from apps.members import member

urlpatterns = [
    path("profile/", member.MemberProfileView.as_view(), name="member-profile"),
]
