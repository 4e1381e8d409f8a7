"""Notification pages of the staff dashboard, included under /dashboard/notifications/ by
config/urls_tenant.py."""

from django.urls import path

from apps.notifications import views

urlpatterns = [
    path("", views.InboxView.as_view(), name="notifications-inbox"),
    path("<int:pk>/read/", views.InboxReadView.as_view(), name="notifications-read"),
    path("read-all/", views.InboxReadAllView.as_view(), name="notifications-read-all"),
    path(
        "announcements/", views.AnnouncementListView.as_view(), name="notifications-announcements"
    ),
    path(
        "announcements/new/",
        views.AnnouncementCreateView.as_view(),
        name="notifications-announcement-new",
    ),
    path(
        "announcements/<int:pk>/",
        views.AnnouncementDetailView.as_view(),
        name="notifications-announcement",
    ),
]
