"""The goals app's API, included by config/urls_tenant.py's api_v1 with one line."""

from apps.goals.api import challenges, checkins, motivation
from apps.goals.api import goals as goals_api

urlpatterns: list = [
    *challenges.urlpatterns,
    *checkins.urlpatterns,
    *goals_api.urlpatterns,
    *motivation.urlpatterns,
]
