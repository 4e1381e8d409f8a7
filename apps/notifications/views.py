"""Pages of the notifications app: the unsubscribe link (site root), and on the staff
dashboard the staff member's own inbox and the announcements (list, new with a preview
step, detail with delivery counts)."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.notifications import selectors, services
from apps.notifications.forms import AnnouncementForm
from apps.notifications.models import Category, DeliveryChannel, DeliveryStatus


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


# --- The staff member's own inbox ---------------------------------------------------------


class InboxView(StaffRequiredMixin, View):
    """Notifications addressed to the logged-in staff member, newest first."""

    def get(self, request):
        rows = selectors.inbox(user=request.user)
        if request.GET.get("unread") == "1":
            rows = rows.filter(read_at__isnull=True)
        page = Paginator(rows, 30).get_page(request.GET.get("page"))
        return render(
            request,
            "notifications/inbox.html",
            {
                "page": page,
                "unread_only": request.GET.get("unread") == "1",
                "unread": selectors.unread_count(user=request.user),
            },
        )


def read_and_follow(request, pk: int, *, back: str, **recipient):
    """Mark one of the recipient's notifications read; `open=1` then follows its link if
    it is on this host, else back to the inbox page `back`. Staff and member inboxes."""
    try:
        notification = services.notification_mark_read(notification_id=pk, **recipient)
    except ApplicationError as error:  # someone else's, another gym's or unknown: 404
        raise Http404 from error
    target = notification.url
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(back)


class InboxReadView(StaffRequiredMixin, View):
    """Mark one of the user's notifications read; `open=1` then follows its link."""

    def post(self, request, pk):
        return read_and_follow(request, pk, back="notifications-inbox", user=request.user)


class InboxReadAllView(StaffRequiredMixin, View):
    def post(self, request):
        count = services.notifications_mark_all_read(user=request.user)
        if count:
            messages.success(request, _("All notifications marked read."))
        return redirect("notifications-inbox")


# --- Announcements ------------------------------------------------------------------------


def _fingerprint(data: dict) -> str:
    """What the preview showed: sending something else asks for a new preview."""
    text = "\x1f".join(str(data.get(k, "")) for k in ("title", "body", "segment", "segment_value"))
    return hashlib.sha256(text.encode()).hexdigest()


class AnnouncementListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "notifications.view_announcement"

    def get(self, request):
        page = Paginator(selectors.announcement_list(), 30).get_page(request.GET.get("page"))
        counts = selectors.announcement_delivery_counts(a.pk for a in page)
        labels = selectors.announcement_segment_labels(page)
        for announcement in page:
            announcement.counts = counts[announcement.pk]
            announcement.segment_label = labels[announcement.pk]
        return render(request, "notifications/announcements.html", {"page": page})


class AnnouncementCreateView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Write, Preview (the recipient count), then Send: a POST with `action=send` sends
    only what was previewed (same fingerprint); otherwise it previews again."""

    permission_required = "notifications.add_announcement"
    template_name = "notifications/announcement_new.html"

    def _form(self, data=None):
        return AnnouncementForm(data, options=selectors.announcement_segment_options())

    def get(self, request):
        return render(request, self.template_name, {"form": self._form()})

    def post(self, request):
        form = self._form(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        fingerprint = _fingerprint(data)
        try:
            if request.POST.get("action") == "send" and request.POST.get("previewed") == (
                fingerprint
            ):
                announcement = services.announcement_send(
                    by=request.user,
                    title=data["title"],
                    body=data["body"],
                    segment=data["segment"],
                    segment_value=data["segment_value"],
                )
                messages.success(
                    request,
                    _("Announcement accepted: it is being sent to %(n)d members.")
                    % {"n": announcement.recipient_count},
                )
                return redirect("notifications-announcement", pk=announcement.pk)
            preview = services.announcement_preview(
                segment=data["segment"], segment_value=data["segment_value"]
            )
        except ApplicationError as exc:
            self._add_errors(form, exc)
            return render(request, self.template_name, {"form": form}, status=exc.status_code)
        return render(
            request,
            self.template_name,
            {"form": form, "preview": preview, "previewed": fingerprint},
        )

    @staticmethod
    def _add_errors(form, exc: ApplicationError) -> None:
        placed = False
        for field, errors in (exc.details or {}).items():
            name = field
            if field == "segment_value":
                name = AnnouncementForm.VALUE_FIELDS.get(form.cleaned_data.get("segment"))
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(name if name in form.fields else None, error)
                placed = True
        if not placed:
            form.add_error(None, exc.message)


class AnnouncementDetailView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "notifications.view_announcement"

    def get(self, request, pk):
        announcement = get_object_or_404(selectors.announcement_list(), pk=pk)
        counts = selectors.announcement_delivery_counts([announcement.pk])[announcement.pk]
        statuses = list(DeliveryStatus)
        by_channel = counts["channels"]
        channels = [
            {
                "label": channel.label,
                "cells": [by_channel.get(channel.value, {}).get(s.value, 0) for s in statuses],
            }
            for channel in DeliveryChannel
        ]
        return render(
            request,
            "notifications/announcement_detail.html",
            {
                "announcement": announcement,
                "segment_label": selectors.announcement_segment_labels([announcement])[
                    announcement.pk
                ],
                "counts": counts,
                "statuses": statuses,
                "channels": channels,
            },
        )
