"""Assessments pages of the staff dashboard, included under /dashboard/assessments/ by
config/urls_tenant.py."""

from django.urls import path

from apps.assessments import views

urlpatterns = [
    path("", views.AssessmentListView.as_view(), name="assessment-list"),
    path("attempts/<int:pk>/", views.AttemptDetailView.as_view(), name="assessment-detail"),
    path(
        "members/<int:pk>/report/", views.MemberReportView.as_view(), name="assessment-report-web"
    ),
    path("blocks/<int:pk>/lift/", views.BlockLiftView.as_view(), name="assessment-block-lift-web"),
]
