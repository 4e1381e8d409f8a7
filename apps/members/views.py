"""Staff dashboard pages for members."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.members.forms import MemberFilterForm, MemberForm
from apps.members.models import Member
from apps.members.selectors import member_list
from apps.members.services import member_create, member_invite_to_app, member_update


def _form_errors_from(form, exc: ApplicationError) -> None:
    for field, errors in (exc.details or {}).items():
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(field if field in form.fields else None, error)
    if not exc.details:
        form.add_error(None, exc.message)


class MemberListView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "members.view_member"

    def get(self, request):
        form = MemberFilterForm(request.GET)
        filters = form.cleaned_data if form.is_valid() else {}
        page = Paginator(member_list(filters=filters), 25).get_page(request.GET.get("page"))
        return render(request, "members/list.html", {"form": form, "page": page})


class MemberDetailView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "members.view_member"

    def get(self, request, pk):
        member = get_object_or_404(Member.objects.select_related("household", "user"), pk=pk)
        return render(
            request,
            "members/detail.html",
            {
                "member": member,
                "household_members": member.household_members.all(),
            },
        )


class MemberCreateView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "members.add_member"

    def get(self, request):
        return render(request, "members/form.html", {"form": MemberForm()})

    def post(self, request):
        form = MemberForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                member = member_create(data=form.service_data(), by=request.user)
            except ApplicationError as exc:
                _form_errors_from(form, exc)
            else:
                messages.success(request, _("Member %(name)s added.") % {"name": member.full_name})
                return redirect("member-detail", pk=member.pk)
        return render(request, "members/form.html", {"form": form}, status=400)


class MemberUpdateView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "members.change_member"

    def get(self, request, pk):
        member = get_object_or_404(Member, pk=pk)
        return render(
            request, "members/form.html", {"form": MemberForm(instance=member), "member": member}
        )

    def post(self, request, pk):
        member = get_object_or_404(Member, pk=pk)
        form = MemberForm(request.POST, request.FILES, instance=member)
        if form.is_valid():
            try:
                member_update(member=member, data=form.service_data(), by=request.user)
            except ApplicationError as exc:
                _form_errors_from(form, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("member-detail", pk=member.pk)
        return render(request, "members/form.html", {"form": form, "member": member}, status=400)


class MemberGrantAccessView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "members.change_member"

    def post(self, request, pk):
        member = get_object_or_404(Member, pk=pk)
        try:
            member_invite_to_app(member=member, by=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Invitation sent: %(email)s got the app link and a link to set a password.")
                % {"email": member.email},
            )
        return redirect("member-detail", pk=member.pk)
