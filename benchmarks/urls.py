"""The gym's URLs plus two baselines the API benchmark compares against."""

from django.http import JsonResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config import urls_tenant

handler400 = urls_tenant.handler400
handler403 = urls_tenant.handler403
handler404 = urls_tenant.handler404
handler500 = urls_tenant.handler500


def bare(request):
    """Plain Django: the middleware stack (tenant lookup included) and nothing else."""
    return JsonResponse({"ok": True})


class AuthedPing(APIView):
    """DRF with the API's defaults (session-token auth, IsAuthenticated, throttles) and
    no query of its own: what /api/v1/me/ costs before it reads the member."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/drf/", AuthedPing.as_view()),
    *urls_tenant.urlpatterns,
]
