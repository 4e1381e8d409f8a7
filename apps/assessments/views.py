"""Staff dashboard pages: clients' results, one attempt with its skeleton overlay, and
submission blocks."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from apps.assessments import explain, report_pdf, selectors, services
from apps.assessments.models import AttemptStatus, QuotaBlock
from apps.assessments.reasons import reason_text
from apps.common.mixins import StaffRequiredMixin
from apps.members.models import Member


class AssessmentListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "assessments.view_attempt"

    def get(self, request):
        member = None
        member_id = request.GET.get("member", "")
        if member_id.isdigit():
            member = get_object_or_404(Member, pk=int(member_id))
        attempts = selectors.attempt_list(member=member)
        status = request.GET.get("status")
        if status in AttemptStatus.values:
            attempts = attempts.filter(status=status)
        page = Paginator(attempts, 25).get_page(request.GET.get("page"))
        return render(
            request,
            "assessments/list.html",
            {
                "page": page,
                "member": member,
                "status": status or "",
                "statuses": AttemptStatus.choices,
                "blocks": selectors.block_list(active_only=True)[:50],
            },
        )


class AttemptDetailView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "assessments.view_attempt"

    def get(self, request, pk):
        attempt = selectors.attempt_for_user(user=request.user, pk=pk)
        if attempt is None:
            return render(request, "errors/404.html", status=404)
        reason = reason_text(attempt.reason_code) if attempt.reason_code else None
        video_url = reverse(
            "v1:assessment-video", args=[services.video_token(attempt=attempt, user=request.user)]
        )
        return render(
            request,
            "assessments/detail.html",
            {
                "attempt": attempt,
                "reason": reason,
                "metrics": explain.result(attempt.result, test_id=attempt.test_id)["metrics"],
                "extra": (attempt.result or {}).get("extra", {}),
                "worst": (attempt.result or {}).get("worst_frames", []),
                "video_url": video_url,
                "overlay_url": reverse("v1:assessment-overlay", args=[attempt.pk]),
            },
        )


def _report_sections(report: dict) -> list[tuple[str, list[str]]]:
    areas = report["problem_areas"]

    def area(a: dict) -> str:
        return f"{a['label']} ({', '.join(e['test'] for e in a['evidence'])})"

    progress = [
        f"{p['test']}: {explain.values(p['latest'], test_id=p['test_id'])}"
        + (f" · {explain.TRENDS[p['trend']['verdict']]}" if p["trend"]["verdict"] else "")
        for p in report["progress"]
    ]
    return [
        (_("Root causes (P1)"), [area(a) for a in areas["p1"]]),
        (_("Consequences (P2)"), [area(a) for a in areas["p2"]]),
        (_("Weeks 1-2: local work"), [a["label"] for a in areas["p1"]]),
        (_("Weeks 3-4: integration"), [a["label"] for a in areas["p1"] + areas["p2"]]),
        (_("Progress"), progress),
    ]


class MemberReportView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """A client's report (problem areas, four-week outline, progress) as a page or PDF."""

    permission_required = "assessments.view_attempt"

    def get(self, request, pk):
        member = get_object_or_404(Member, pk=pk)
        report = selectors.member_report(member=member)
        sections = _report_sections(report)
        if request.GET.get("format") == "pdf":
            title = _("Movement report: %(name)s") % {"name": member.full_name}
            response = HttpResponse(
                report_pdf.render(title=title, sections=sections), content_type="application/pdf"
            )
            response["Content-Disposition"] = f'inline; filename="report-{member.pk}.pdf"'
            return response
        return render(
            request,
            "assessments/report.html",
            {"member": member, "report": report, "sections": sections},
        )


class BlockLiftView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "assessments.change_quotablock"

    def post(self, request, pk):
        block = get_object_or_404(QuotaBlock, pk=pk)
        services.block_lift(block=block, by=request.user)
        messages.success(
            request, _("Block lifted for %(name)s.") % {"name": block.member.full_name}
        )
        return redirect("assessment-list")
