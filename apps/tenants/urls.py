"""The gym's settings page of the staff dashboard, included under /dashboard/settings/ by
config/urls_tenant.py."""

from django.urls import path

from apps.tenants import views

urlpatterns = [
    path("", views.GymSettingsView.as_view(), name="gym-settings"),
]
