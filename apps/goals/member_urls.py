"""Members' pages of the goals app, included under /app/ by config/urls_tenant.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
