"""allauth's hooks: who may sign up where, and what a signup creates."""

from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from apps.accounts.roles import Role
from apps.accounts.services import user_set_role
from apps.members.services import member_register_self


class GymAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Only members sign up, only on a gym's domain, only where the gym allows it.
        # Gyms themselves are created through the platform's signup form.
        tenant = getattr(request, "tenant", None)
        return bool(tenant and not tenant.is_public and tenant.allow_member_signup)

    def send_mail(self, template_prefix, email, context):
        # Emails speak in the gym's name (allauth would use the host name).
        tenant = getattr(self.request, "tenant", None)
        if tenant is not None and not tenant.is_public:
            context = {
                **context,
                "current_site": SimpleNamespace(name=tenant.name, domain=self.request.get_host()),
            }
        return super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject) -> str:
        tenant = getattr(self.request, "tenant", None)
        if tenant is not None and not tenant.is_public:
            return f"[{tenant.name}] {subject}"
        return super().format_email_subject(subject)

    @transaction.atomic
    def save_user(self, request, user, form, commit=True):
        user.role = Role.MEMBER
        user = super().save_user(request, user, form, commit=True)
        user_set_role(user=user, role=Role.MEMBER)
        member_register_self(user=user)
        return user
