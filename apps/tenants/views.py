"""Platform pages (public schema) and the gym's own settings page."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from apps.common.errors import ApplicationError
from apps.common.mixins import StaffRequiredMixin
from apps.tenants.forms import GymSettingsForm, GymSignupForm
from apps.tenants.services import gym_create, gym_domain_for, gym_update_settings


def landing(request):
    return render(request, "tenants/landing.html")


def unknown_gym(request):
    return render(request, "errors/404.html", {"unknown_gym": True}, status=404)


class GymSignupView(View):
    template_name = "tenants/signup.html"

    def get(self, request):
        return render(request, self.template_name, {"form": GymSignupForm()})

    def post(self, request):
        form = GymSignupForm(request.POST)
        if form.is_valid() and not ratelimit.consume(request, action="gym_signup"):
            form.add_error(
                None,
                _(
                    "Too many gyms were created from your network. Please try "
                    "again in an hour or write to us."
                ),
            )
            return render(request, self.template_name, {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                gym = gym_create(
                    name=data["name"],
                    slug=data["slug"],
                    owner_email=data["owner_email"],
                    owner_password=data["password"],
                    owner_name=data["owner_name"],
                    time_zone=data["time_zone"],
                    currency=data["currency"],
                    default_language=data["default_language"],
                )
            except ApplicationError as exc:
                for field, errors in (exc.details or {}).items():
                    target = {"email": "owner_email", "contact_email": "owner_email"}.get(
                        field, field
                    )
                    for error in errors:
                        form.add_error(target if target in form.fields else None, error)
                if not exc.details:
                    form.add_error(None, exc.message)
            else:
                port = request.get_port()
                suffix = "" if port in ("80", "443") else f":{port}"
                url = f"{request.scheme}://{gym_domain_for(gym.slug)}{suffix}/accounts/login/"
                return render(
                    request, "tenants/signup_done.html", {"new_gym": gym, "login_url": url}
                )
        return render(request, self.template_name, {"form": form}, status=400)


class GymSettingsView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "accounts.manage_gym_settings"
    template_name = "tenants/settings.html"

    def get(self, request):
        return render(
            request, self.template_name, {"form": GymSettingsForm(instance=request.tenant)}
        )

    def post(self, request):
        form = GymSettingsForm(request.POST, request.FILES, instance=request.tenant)
        if form.is_valid():
            gym_update_settings(gym=form.save(commit=False), fields=form.saved_fields())
            messages.success(request, _("Settings saved."))
            return redirect("gym-settings")
        return render(request, self.template_name, {"form": form}, status=400)
