"""Assessments pages of the member web app, included under /app/ by config/urls_tenant.py."""

from django.urls import path

from apps.assessments import member

urlpatterns = [
    path("assessments/", member.MemberAssessmentsView.as_view(), name="assessment-member"),
    path(
        "assessments/<int:pk>/",
        member.MemberAttemptView.as_view(),
        name="assessment-member-attempt",
    ),
    path(
        "assessments/report/",
        member.MemberReportView.as_view(),
        name="assessment-member-report",
    ),
]
