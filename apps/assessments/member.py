"""Member web app pages of assessments (under /app/assessments/): the tests of the member's
plan, an upload form, their attempts."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from apps.assessments import selectors, services
from apps.assessments.catalogue import specs_for_tier
from apps.assessments.forms import UploadForm
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
