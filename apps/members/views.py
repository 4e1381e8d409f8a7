"""Staff dashboard pages for members, and importing them from a CSV file."""

import csv

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.members import importing
from apps.members.forms import (
    MemberFilterForm,
    MemberForm,
    MemberImportMappingForm,
    MemberImportUploadForm,
)
from apps.members.models import ImportStatus, Member, MemberImport
from apps.members.selectors import (
    gym_language,
    member_import_list,
    member_import_preview,
    member_import_rows,
    member_list,
)
from apps.members.services import (
    member_create,
    member_import_create,
    member_import_set_mapping,
    member_import_start,
    member_invite_to_app,
    member_update,
)


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


# --- Importing members (CSV) -----------------------------------------------------------


class MemberImportView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Step 1: upload the file (and the earlier imports)."""

    permission_required = "members.add_memberimport"

    def _render(self, request, form, status=200):
        context = {"form": form, "imports": member_import_list()[:10]}
        return render(request, "members/import.html", context, status=status)

    def get(self, request):
        return self._render(request, MemberImportUploadForm())

    def post(self, request):
        form = MemberImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                member_import = member_import_create(
                    upload=form.cleaned_data["file"], by=request.user
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("member-import-detail", pk=member_import.pk)
        return self._render(request, form, status=400)


class MemberImportDetailView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """Step 2 (a draft): map the columns, see the preview, start. Then the progress, and
    at the end the result."""

    permission_required = "members.view_memberimport"

    def get(self, request, pk):
        member_import = get_object_or_404(MemberImport, pk=pk)
        if member_import.status == ImportStatus.DRAFT:
            return self._mapping(request, member_import, self._form(member_import))
        return self._progress_or_result(request, member_import)

    def post(self, request, pk):
        if not request.user.has_perm("members.add_memberimport"):
            raise PermissionDenied
        member_import = get_object_or_404(MemberImport, pk=pk)
        if member_import.status != ImportStatus.DRAFT:
            return redirect("member-import-detail", pk=pk)
        form = self._form(member_import, request.POST)
        if not form.is_valid():
            return self._mapping(request, member_import, form, status=400)
        try:
            member_import = member_import_set_mapping(
                member_import=member_import,
                mapping=form.mapping(),
                on_existing=form.cleaned_data["on_existing"],
                default_status=form.cleaned_data["default_status"],
            )
            if request.POST.get("action") == "import":
                member_import = member_import_start(member_import=member_import, by=request.user)
        except ApplicationError as exc:
            for problem in (exc.details or {}).get("mapping") or [exc.message]:
                form.add_error(None, problem)
            member_import.refresh_from_db()
            if member_import.status != ImportStatus.DRAFT:
                return redirect("member-import-detail", pk=pk)
            return self._mapping(request, member_import, form, status=400)
        return redirect("member-import-detail", pk=member_import.pk)

    @staticmethod
    def _samples(member_import):
        rows = []
        for _line, cells in member_import_rows(member_import=member_import):
            rows.append(cells)
            if len(rows) == 5:
                break
        return rows

    def _form(self, member_import, data=None):
        samples = self._samples(member_import) if member_import.file else []
        return MemberImportMappingForm(data, member_import=member_import, samples=samples)

    def _mapping(self, request, member_import, form, status=200):
        if not member_import.file:
            return render(request, "members/import_result.html", {"member_import": member_import})
        if form.is_bound and form.is_valid():
            # Preview what was just chosen, not what was saved before (a refused start).
            member_import.mapping = form.mapping()
            member_import.on_existing = form.cleaned_data["on_existing"]
        language = gym_language()
        context = {
            "member_import": member_import,
            "form": form,
            "preview": member_import_preview(member_import=member_import),
            "problems": importing.mapping_problems(member_import.mapping),
            "encoding_label": importing.ENCODING_LABELS.get(
                member_import.encoding, member_import.encoding
            ),
            "delimiter_label": importing.DELIMITER_LABELS.get(
                member_import.delimiter, member_import.delimiter
            ),
            "utf8": member_import.encoding in ("utf-8-sig", "utf-16"),
            "date_example": importing.date_example(language),
            "background": member_import.total_rows > importing.BACKGROUND_ABOVE,
        }
        return render(request, "members/import_mapping.html", context, status=status)

    def _progress_or_result(self, request, member_import):
        template = (
            "members/import_result.html"
            if member_import.finished
            else "members/import_progress.html"
        )
        context = {"member_import": member_import, "errors": member_import.errors[:100]}
        return render(request, template, context)


def _progress(member_import: MemberImport) -> dict:
    return {
        "status": member_import.status,
        "status_label": member_import.get_status_display(),
        "finished": member_import.finished,
        "total": member_import.total_rows,
        "processed": member_import.processed_rows,
        "percent": member_import.percent,
        "created": member_import.created_count,
        "updated": member_import.updated_count,
        "skipped": member_import.skipped_count,
        "failed": member_import.failed_count,
        "url": reverse("member-import-detail", args=[member_import.pk]),
    }


class MemberImportProgressView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """The progress as JSON, read every 2 s by the progress page."""

    permission_required = "members.view_memberimport"

    def get(self, request, pk):
        member_import = get_object_or_404(MemberImport, pk=pk)
        response = JsonResponse(_progress(member_import))
        response["Cache-Control"] = "no-store"
        return response


class MemberImportFailedRowsView(StaffRequiredMixin, PermissionRequiredMixin, View):
    """The rows that failed, as CSV: line, reason, then the file's own columns, so the
    file can be corrected and imported again."""

    permission_required = "members.view_memberimport"

    def get(self, request, pk):
        member_import = get_object_or_404(MemberImport, pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="import-{member_import.pk}-failed.csv"'
        )
        response.write("\ufeff")  # a byte-order mark: spreadsheets then read it as UTF-8
        writer = csv.writer(response)
        writer.writerow([_("line"), _("reason"), *member_import.header])
        for error in member_import.errors:
            values = [importing.spreadsheet_safe(str(value)) for value in error.get("values", [])]
            writer.writerow([error["line"], importing.spreadsheet_safe(error["reason"]), *values])
        return response
