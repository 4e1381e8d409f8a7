"""The goals app's API, included by config/urls_tenant.py's api_v1 with one line."""

from django.urls import path  # noqa: F401

from apps.goals.api import challenges, motivation

urlpatterns: list = [
    *challenges.urlpatterns,
    *motivation.urlpatterns,
]
