"""Assessments pages of the member web app, included under /app/ by config/urls_tenant.py."""

from django.urls import path

from apps.assessments import member

urlpatterns = [
    path("assessments/", member.MemberAssessmentsView.as_view(), name="assessment-member"),
]
