"""Platform API routes (the public gym directory), included under /api/v1/ by
config/urls_public.py."""

from django.urls import path

from apps.tenants.api.views import GymDirectoryView

urlpatterns = [
    path("gyms/", GymDirectoryView.as_view(), name="gym-directory"),
]
