"""Billing pages of the member web app, included under /app/ by config/urls_tenant.py."""

from django.urls import path

from apps.billing import member

urlpatterns = [
    path("membership/", member.MemberMembershipView.as_view(), name="member-membership"),
    path("membership/join/", member.MemberCheckoutView.as_view(), name="member-membership-join"),
    path("membership/portal/", member.MemberPortalView.as_view(), name="member-membership-portal"),
    path("membership/cancel/", member.MemberCancelView.as_view(), name="member-membership-cancel"),
    path("membership/resume/", member.MemberResumeView.as_view(), name="member-membership-resume"),
    path("membership/freeze/", member.MemberFreezeView.as_view(), name="member-membership-freeze"),
    path(
        "membership/unfreeze/",
        member.MemberUnfreezeView.as_view(),
        name="member-membership-unfreeze",
    ),
]
