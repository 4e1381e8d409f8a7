"""The member web app's own pages: home, "More", the PWA manifest, the service worker and
its offline page. Everything else in the app is a page of the app that owns the data."""

import hashlib
import json

from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import cache_control

from apps.portal import nav
from apps.portal.mixins import MemberRequiredMixin


class HomeView(MemberRequiredMixin, View):
    """Today at a glance: one card per app that has something to say (its own read)."""

    def get(self, request):
        cards = []
        for card in nav.cards():
            context = card.context(self.member)
            if context is not None:
                cards.append((card.template, context))
        return render(request, "portal/home.html", {"member": self.member, "cards": cards})


class MoreView(MemberRequiredMixin, View):
    def get(self, request):
        return render(request, "portal/more.html", {"items": nav.items()})


def offline(request):
    """What the service worker shows for a page it has no copy of, without a connection."""
    return render(request, "portal/offline.html")


def manifest(request):
    """The web app manifest, per gym (its name and colour), so "Add to home screen" installs
    this gym's app."""
    gym = request.tenant
    colour = gym.primary_colour or "#1f6feb"
    data = {
        "name": gym.name,
        "short_name": gym.name[:12],
        "start_url": reverse("portal-home"),
        "scope": reverse("portal-home"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": colour,
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("portal/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("portal/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("portal/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json")


@method_decorator(cache_control(no_cache=True), name="dispatch")
class ServiceWorkerView(View):
    """The service worker, served under /app/ so its scope is the member app. no-cache:
    browsers re-check it on each visit and pick up a new version at once."""

    def get(self, request):
        shell = [
            reverse("portal-offline"),
            static("css/app.css"),
            static("portal/portal.css"),
            static("portal/app.js"),
            static("js/forms.js"),
            static("portal/icon-192.png"),
            *(static(path) for path in nav.offline_assets()),
        ]
        context = {
            # Hashed static names (production) change the version when a file changes.
            "version": hashlib.sha256("|".join(shell).encode()).hexdigest()[:12],
            "shell_json": json.dumps(shell),
            "offline_url": reverse("portal-offline"),
            "scope": reverse("portal-home"),
        }
        return render(
            request, "portal/sw.js", context, content_type="application/javascript; charset=utf-8"
        )
