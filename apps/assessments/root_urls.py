"""Assessments pages outside the dashboard and the API, included at the root of the gym's
domain by config/urls_tenant.py: the member's own results."""

from django.urls import path

from apps.assessments import views

urlpatterns = [
    path("assessments/", views.MemberAssessmentsView.as_view(), name="assessment-member"),
]
