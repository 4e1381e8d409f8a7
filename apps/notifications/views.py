"""Pages of the notifications app outside the dashboard: the unsubscribe link."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.common.errors import ApplicationError
from apps.notifications import services
from apps.notifications.models import Category


@method_decorator(csrf_exempt, name="dispatch")  # RFC 8058: mail clients POST with no cookie
class UnsubscribeView(View):
    """GET asks (link scanners open links), POST unsubscribes: the button on the page, or
    the mail client's one-click `List-Unsubscribe=One-Click` POST."""

    template_name = "notifications/unsubscribe.html"

    def get(self, request, token):
        return render(request, self.template_name, {"token": token, "done": False})

    def post(self, request, token):
        try:
            _person, category = services.preference_unsubscribe(token=token)
        except ApplicationError as exc:
            return render(
                request, self.template_name, {"error": exc.message}, status=exc.status_code
            )
        return render(
            request,
            self.template_name,
            {"done": True, "category": Category(category).label},
        )
