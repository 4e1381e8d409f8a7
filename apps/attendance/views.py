"""Staff dashboard pages for the door: live occupancy and front desk, visits, kiosks,
door settings, a member's pass."""

import csv
import math

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from apps.attendance.forms import DoorSettingsForm, KioskForm, VisitFilterForm
from apps.attendance.models import DeniedAttempt, Kiosk, Visit
from apps.attendance.selectors import (
    denied_list,
    door_settings_get,
    kiosk_list,
    member_attendance,
    occupancy_now,
    typical_occupancy,
    visit_list,
)
from apps.attendance.services import (
    check_in,
    door_settings_update,
    kiosk_register,
    kiosk_revoke,
    pass_card_code,
    pass_issue_card,
    pass_reset,
    pass_revoke_card,
    refusal_override,
    visit_check_out,
)
from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.members.forms import MemberFilterForm
from apps.members.models import Member
from apps.members.selectors import member_list


class OccupancyPageView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """People inside now, a live feed of the door, and the front desk's check-in."""

    permission_required = "attendance.view_visit"

    def get(self, request):
        search = MemberFilterForm(request.GET)
        query = search.cleaned_data.get("q") if search.is_valid() else ""
        found = member_list(filters={"q": query})[:10] if query else []
        return render(
            request,
            "attendance/occupancy.html",
            {
                "occupancy": occupancy_now(),
                "typical": _heatmap(typical_occupancy()),
                "recent": visit_list()[:20],
                "denied": denied_list(limit=10),
                "search": search,
                "query": query,
                "found": found,
            },
        )


def _heatmap(typical: dict) -> dict | None:
    """Typical occupancy as rows of (hour, average, shade 0-4) for the hours that saw
    anyone; None until there are visits."""
    hours = [h for h in range(24) if any(day["hours"][h] for day in typical["days"])]
    if not hours:
        return None
    span = range(hours[0], hours[-1] + 1)
    peak = max(max(day["hours"]) for day in typical["days"])
    rows = [
        {
            "label": WEEKDAYS_ABBR[i],
            "cells": [
                (h, day["hours"][h], min(4, math.ceil(4 * day["hours"][h] / peak))) for h in span
            ],
        }
        for i, day in enumerate(typical["days"])
    ]
    return {"hours": list(span), "rows": rows, "weeks": typical["weeks"], "peak": peak}


class DeskCheckInView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "attendance.add_visit"

    def post(self, request):
        member_id = request.POST.get("member", "")
        if not member_id.isdigit() or len(member_id) > 12:
            raise Http404
        member = get_object_or_404(Member, pk=int(member_id))
        result = check_in(member=member, by=request.user)
        if result["granted"]:
            messages.success(request, _("%(name)s checked in.") % {"name": member.full_name})
        else:
            messages.error(
                request,
                _("%(name)s not checked in: %(reason)s")
                % {"name": member.full_name, "reason": result["message"]},
            )
        return redirect("checkins-home")


class VisitCheckOutView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "attendance.change_visit"

    def post(self, request, pk):
        visit = get_object_or_404(Visit, pk=pk)
        try:
            visit_check_out(visit=visit, by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Checked out."))
        # `next` is typed into a form field: only a path on this gym's own host.
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = "checkins-home"
        return redirect(target)


class VisitListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "attendance.view_visit"

    def get(self, request):
        form = VisitFilterForm(request.GET)
        filters = form.cleaned_data if form.is_valid() else {}
        page = Paginator(visit_list(filters=filters), 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        member = None
        if filters.get("member"):
            member = get_object_or_404(Member, pk=filters["member"])
        return render(
            request,
            "attendance/visits.html",
            {"form": form, "page": page, "query": query.urlencode(), "member": member},
        )


class _Echo:
    def write(self, value):
        return value


class VisitCsvView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """The filtered visits as CSV, streamed (a year of a big gym is many rows)."""

    permission_required = "attendance.view_visit"

    def get(self, request):
        form = VisitFilterForm(request.GET)
        if not form.is_valid():
            # A mistyped date must not quietly export every visit of the gym.
            return HttpResponseBadRequest(
                "; ".join(str(e) for errors in form.errors.values() for e in errors),
                content_type="text/plain; charset=utf-8",
            )
        filters = form.cleaned_data
        tz = timezone.get_current_timezone()
        writer = csv.writer(_Echo())

        def fmt(moment):
            return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H:%M:%S") if moment else ""

        def rows():
            yield writer.writerow(
                ["visit", "member_number", "member", "entered_at", "left_at", "how", "kiosk"]
            )
            for visit in visit_list(filters=filters).iterator(chunk_size=2000):
                yield writer.writerow(
                    [
                        visit.pk,
                        visit.member.number,
                        _csv_safe(visit.member.full_name),
                        fmt(visit.entered_at),
                        fmt(visit.exited_at),
                        visit.method,
                        _csv_safe(visit.kiosk.name) if visit.kiosk else "",
                    ]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="visits.csv"'
        return response


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheets: names are typed by people.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


class KioskListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "attendance.view_kiosk"

    def get(self, request):
        return self._render(request, KioskForm())

    def post(self, request):
        if not request.user.has_perm("attendance.add_kiosk"):
            raise PermissionDenied
        form = KioskForm(request.POST)
        token = kiosk = None
        if form.is_valid():
            try:
                kiosk, token = kiosk_register(**form.cleaned_data, by=request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                form = KioskForm()
        # Rendered, not redirected: the token must not sit in a session or a URL.
        response = self._render(request, form, token=token, new_kiosk=kiosk)
        response["Cache-Control"] = "no-store"
        return response

    def _render(self, request, form, **extra):
        return render(
            request,
            "attendance/kiosks.html",
            {"form": form, "kiosks": kiosk_list(), **extra},
            status=400 if form.errors else 200,
        )


class KioskRevokeView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "attendance.change_kiosk"

    def post(self, request, pk):
        kiosk = kiosk_revoke(kiosk=get_object_or_404(Kiosk, pk=pk), by=request.user)
        messages.success(request, _("Kiosk %(name)s revoked.") % {"name": kiosk.name})
        return redirect("checkins-kiosks")


class DoorSettingsView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "attendance.change_doorsettings"

    def get(self, request):
        form = DoorSettingsForm(instance=door_settings_get())
        return render(request, "attendance/settings.html", {"form": form})

    def post(self, request):
        form = DoorSettingsForm(request.POST, instance=door_settings_get())
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            try:
                door_settings_update(data=data, by=request.user)
            except ApplicationError as exc:
                for field, errors in (exc.details or {}).items():
                    for error in errors if isinstance(errors, list) else [errors]:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.details:
                    form.add_error(None, exc.message)
            else:
                messages.success(request, _("Door settings saved."))
                return redirect("checkins-settings")
        return render(request, "attendance/settings.html", {"form": form}, status=400)


class MemberPassView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """A member's door pass: print a card, cancel it, or reset every code (lost phone)."""

    permission_required = "attendance.change_memberpass"

    def get(self, request, pk):
        member = get_object_or_404(Member, pk=pk)
        return render(
            request,
            "attendance/member_pass.html",
            {
                "member": member,
                "card_code": pass_card_code(member=member),
                "attendance": member_attendance(member=member),
            },
        )

    def post(self, request, pk):
        member = get_object_or_404(Member, pk=pk)
        action = request.POST.get("action")
        try:
            if action == "issue":
                pass_issue_card(member=member, by=request.user)
                messages.success(request, _("New card issued; earlier cards no longer work."))
            elif action == "revoke":
                pass_revoke_card(member=member, by=request.user)
                messages.success(request, _("Card cancelled."))
            elif action == "reset":
                pass_reset(member=member, by=request.user)
                messages.success(request, _("Pass reset; every earlier code no longer works."))
            else:
                messages.error(request, _("Unknown action."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("checkins-member-pass", pk=member.pk)


class RefusalOverrideView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """ "Let in anyway" on a refusal row, with a required reason."""

    permission_required = "attendance.override_refusal"

    def post(self, request, pk):
        attempt = get_object_or_404(DeniedAttempt, pk=pk)
        try:
            visit = refusal_override(
                attempt=attempt,
                by=request.user,
                reason=request.POST.get("reason", ""),
                request_id=getattr(request, "request_id", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s was let in anyway.") % {"name": visit.member.full_name},
            )
        return redirect("checkins-home")
