"""Member web app pages of members (under /app/profile/): the member's own profile. What
they may change is the service's SELF_EDITABLE_FIELDS; name and date of birth are shown,
changed by staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View

from apps.common.errors import ApplicationError
from apps.members.forms import ProfileForm
from apps.members.services import member_update
from apps.portal.mixins import MemberRequiredMixin


class MemberProfileView(MemberRequiredMixin, View):
    template_name = "members/member/profile.html"

    def _form(self, request, data=None, files=None):
        return ProfileForm(data, files, member=self.member, gym_time_zone=request.tenant.time_zone)

    def _render(self, request, form, status=200):
        return render(
            request, self.template_name, {"form": form, "member": self.member}, status=status
        )

    def get(self, request):
        return self._render(request, self._form(request))

    def post(self, request):
        form = self._form(request, request.POST, request.FILES)
        if form.is_valid():
            data = form.service_data()
            try:
                member = member_update(member=self.member, data=data, by=request.user)
            except ApplicationError as exc:
                self._add_errors(form, exc)
            else:
                return self._saved(request, member, language_changed="language" in data)
        # Show the member as stored, not as the refused form left the object.
        self.member.refresh_from_db()
        return self._render(request, form, status=400)

    def _saved(self, request, member, *, language_changed: bool):
        response = redirect("member-profile")
        if language_changed:
            # The visitor's language choice is the cookie (GymLocaleMiddleware): set it so
            # this and every later page speaks the new language; "" = the gym's again.
            if member.language:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    member.language,
                    max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            else:
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            translation.activate(member.language or request.tenant.default_language)
        messages.success(request, _("Profile saved."))
        return response

    @staticmethod
    def _add_errors(form, exc: ApplicationError) -> None:
        placed = False
        for field, errors in (exc.details or {}).items():
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(field if field in form.fields else None, str(error))
                placed = True
        if not placed:
            form.add_error(None, exc.message)
