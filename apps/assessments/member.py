"""Member web app pages of assessments (under /app/assessments/): the tests of the member's
plan, an upload form, their attempts; one attempt's result and the report in plain words."""

from django.contrib import messages
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from apps.assessments import explain, selectors, services
from apps.assessments.catalogue import specs_for_tier
from apps.assessments.forms import UploadForm
from apps.assessments.reasons import reason_text
from apps.billing.entitlements import entitlements
from apps.common.errors import ApplicationError
from apps.portal.mixins import MemberRequiredMixin


class MemberAssessmentsView(MemberRequiredMixin, View):
    """Members on the web: the tests of their plan, an upload form, their attempts (the
    page refreshes itself when the socket reports a status change)."""

    def _render(self, request, member, form, status=200):
        specs = specs_for_tier(member.tier)
        return render(
            request,
            "assessments/member.html",
            {
                "form": form,
                "specs": specs,
                "attempts": selectors.attempt_list(member=member)[:20],
                # Not "block": inside {% block %} that name is the block node itself (always true).
                "quota_block": selectors.active_block(member=member),
                "report": entitlements(member=member, gym=connection.tenant).assessment_report,
            },
            status=status,
        )

    def get(self, request):
        member = self.member
        return self._render(request, member, UploadForm(specs=specs_for_tier(member.tier)))

    def post(self, request):
        member = self.member
        form = UploadForm(request.POST, request.FILES, specs=specs_for_tier(member.tier))
        if form.is_valid():
            try:
                services.attempt_submit(
                    member=member,
                    test_id=form.cleaned_data["test"],
                    upload=form.cleaned_data["video"],
                    by=request.user,
                )
            except ApplicationError as exc:
                hint = (exc.details or {}).get("hint")
                form.add_error(None, f"{exc.message} {hint}" if hint else exc.message)
            else:
                messages.success(request, _("Clip received. Your result will appear here shortly."))
                return redirect("assessment-member")
        return self._render(request, member, form, status=400)


class MemberAttemptView(MemberRequiredMixin, View):
    """One attempt: what was measured, in words, and what it means."""

    def get(self, request, pk):
        attempt = selectors.member_attempt(member=self.member, pk=pk)
        if attempt is None:
            raise Http404
        return render(
            request,
            "assessments/member_attempt.html",
            {
                "attempt": attempt,
                "explained": explain.result(attempt.result, test_id=attempt.test_id),
                "reason": reason_text(attempt.reason_code) if attempt.reason_code else None,
            },
        )


class MemberReportView(MemberRequiredMixin, View):
    """The member's movement report: areas to work on, progress since the first test, when
    to retest. Only on plans that include it."""

    def get(self, request):
        member = self.member
        if not entitlements(member=member, gym=connection.tenant).assessment_report:
            raise Http404
        report = selectors.member_report(member=member)
        for row in report["progress"]:
            row["latest_words"] = explain.values(row["latest"], test_id=row["test_id"])
            row["trend_words"] = str(explain.TRENDS.get(row["trend"]["verdict"], ""))
        return render(request, "assessments/member_report.html", {"report": report})
