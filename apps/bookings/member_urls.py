"""Classes pages of the member web app, included under /app/ by config/urls_tenant.py.
Ids: digits that fit PostgreSQL's bigint (anything else is a 404, not a 500)."""

from django.urls import path, re_path

from apps.bookings import member

ID = r"(?P<pk>[0-9]{1,18})"

urlpatterns = [
    path("classes/", member.TimetableView.as_view(), name="member-classes"),
    path("classes/mine/", member.MyBookingsView.as_view(), name="member-classes-mine"),
    path(
        "classes/calendar/new/",
        member.CalendarFeedRotateView.as_view(),
        name="member-classes-feed-new",
    ),
    re_path(rf"^classes/{ID}/$", member.SessionView.as_view(), name="member-classes-session"),
    re_path(rf"^classes/{ID}/book/$", member.BookView.as_view(), name="member-classes-book"),
    re_path(
        rf"^classes/bookings/{ID}/cancel/$",
        member.CancelView.as_view(),
        name="member-classes-cancel",
    ),
]
