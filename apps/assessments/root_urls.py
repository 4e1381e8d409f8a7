"""Assessments URLs at the root of the gym's domain, included by config/urls_tenant.py: the
old address of the member page, now in the member web app (links in sent emails)."""

from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("assessments/", RedirectView.as_view(pattern_name="assessment-member", permanent=True)),
]
