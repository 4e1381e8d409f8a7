"""Notification pages of the member web app, included under /app/ by config/urls_tenant.py."""

from django.urls import path

from apps.notifications import member

urlpatterns = [
    path("inbox/", member.MemberInboxView.as_view(), name="member-inbox"),
    path("inbox/<int:pk>/read/", member.MemberInboxReadView.as_view(), name="member-inbox-read"),
    path("inbox/read-all/", member.MemberInboxReadAllView.as_view(), name="member-inbox-read-all"),
    path(
        "inbox/preferences/",
        member.MemberPreferencesView.as_view(),
        name="member-inbox-preferences",
    ),
]
