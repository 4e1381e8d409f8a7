"""The page behind an invitation link (at the site root: the invited person has no login
yet), included by config/urls_tenant.py."""

from django.urls import path

from apps.accounts import views

urlpatterns = [
    path(
        "accounts/invitation/<str:token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path(
        "accounts/invitation/<str:token>/renew/",
        views.InvitationRenewView.as_view(),
        name="invitation-renew",
    ),
]
