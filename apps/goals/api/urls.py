"""The goals app's API, included by config/urls_tenant.py's api_v1 with one line."""

from django.urls import path  # noqa: F401

from apps.goals.api import challenges
from apps.goals.api import goals as goals_api

urlpatterns: list = [
    *challenges.urlpatterns,
    *goals_api.urlpatterns,
]
