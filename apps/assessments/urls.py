"""API routes (mounted at /api/v1/assessments/) and dashboard routes."""

from django.urls import path

from apps.assessments import views
from apps.assessments.api import views as api

api_urls = [
    path("catalogue/", api.CatalogueView.as_view(), name="assessment-catalogue"),
    path("attempts/", api.AttemptListCreateView.as_view(), name="assessment-attempts"),
    path("attempts/<int:pk>/", api.AttemptDetailView.as_view(), name="assessment-attempt"),
    path("attempts/<int:pk>/overlay/", api.AttemptOverlayView.as_view(), name="assessment-overlay"),
    path("history/<int:test_id>/", api.HistoryView.as_view(), name="assessment-history"),
    path("report/", api.ReportView.as_view(), name="assessment-report"),
    path("video/<str:token>/", api.VideoView.as_view(), name="assessment-video"),
    path("blocks/", api.BlockListView.as_view(), name="assessment-blocks"),
    path("blocks/<int:pk>/lift/", api.BlockLiftView.as_view(), name="assessment-block-lift"),
]

dashboard_urls = [
    path("", views.AssessmentListView.as_view(), name="assessment-list"),
    path("attempts/<int:pk>/", views.AttemptDetailView.as_view(), name="assessment-detail"),
    path(
        "members/<int:pk>/report/", views.MemberReportView.as_view(), name="assessment-report-web"
    ),
    path("blocks/<int:pk>/lift/", views.BlockLiftView.as_view(), name="assessment-block-lift-web"),
]

member_urls = [
    path("", views.MemberAssessmentsView.as_view(), name="assessment-member"),
]
