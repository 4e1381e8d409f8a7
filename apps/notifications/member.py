"""Member web app pages of notifications (under /app/inbox/): the member's inbox (mark one
read and open its link, mark all read) and their notification preferences with the
"push on this device" switch (static/notifications/push.js talks to the devices API)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from apps.common.errors import ApplicationError
from apps.notifications import selectors, services
from apps.notifications.forms import PreferencesForm
from apps.notifications.views import read_and_follow
from apps.portal.mixins import MemberRequiredMixin

PAGE_SIZE = 20


def _recipient(member) -> dict:
    """The member's inbox is their profile's notifications plus their login's."""
    return {"member": member, "user": member.user}


def unread_badge(member) -> int:
    """The tab's badge (nav item "inbox")."""
    return selectors.unread_count(**_recipient(member))


class MemberInboxView(MemberRequiredMixin, View):
    def get(self, request):
        who = _recipient(self.member)
        page = Paginator(selectors.inbox(**who), PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "notifications/member/inbox.html",
            {"page": page, "unread": selectors.unread_count(**who)},
        )


class MemberInboxReadView(MemberRequiredMixin, View):
    """Mark one read; `open=1` then follows its link if it is on this host."""

    def post(self, request, pk):
        return read_and_follow(request, pk, back="member-inbox", **_recipient(self.member))


class MemberInboxReadAllView(MemberRequiredMixin, View):
    def post(self, request):
        if services.notifications_mark_all_read(**_recipient(self.member)):
            messages.success(request, _("All notifications marked read."))
        return redirect("member-inbox")


class MemberPreferencesView(MemberRequiredMixin, View):
    """Email and push per category, quiet hours (in the member's time zone), and push on
    this device. Preferences belong to the member profile (as the API's)."""

    template_name = "notifications/member/preferences.html"

    def _zone(self, request) -> str:
        return self.member.time_zone or request.tenant.time_zone

    def _summary(self, request) -> dict:
        return selectors.preference_summary(member=self.member, time_zone=self._zone(request))

    def _render(self, request, form, summary, status=200):
        webpush_on = summary["active_channels"]["webpush"]
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "time_zone": summary["time_zone"],
                "webpush_on": webpush_on,
                "vapid_key": settings.VAPID_PUBLIC_KEY if webpush_on else "",
            },
            status=status,
        )

    def get(self, request):
        summary = self._summary(request)
        return self._render(request, PreferencesForm(summary=summary), summary)

    def post(self, request):
        summary = self._summary(request)
        form = PreferencesForm(request.POST, summary=summary)
        if form.is_valid():
            try:
                services.preference_update(
                    member=self.member, channels=form.channels(), quiet_hours=form.quiet_hours()
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Notification preferences saved."))
                return redirect("member-inbox-preferences")
        return self._render(request, form, summary, status=400)
