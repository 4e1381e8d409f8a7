"""Staff management pages of the dashboard, included under /dashboard/staff/ by
config/urls_tenant.py."""

from django.urls import path

from apps.accounts import views

urlpatterns = [
    path("", views.StaffListView.as_view(), name="staff-list"),
    path("<int:pk>/", views.StaffRoleView.as_view(), name="staff-role"),
    path("<int:pk>/invitation/", views.StaffInvitationView.as_view(), name="staff-invitation"),
]
