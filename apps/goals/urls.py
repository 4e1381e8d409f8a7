"""Staff pages of the goals app, under /dashboard/goals/."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
