"""Writes on users: creation with a role, role changes, verified email addresses."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import ADMIN_ROLES, Role
from apps.common.errors import ApplicationError


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ApplicationError(
            _("Enter a valid email address."),
            code="invalid_email",
            details={"email": [_("Enter a valid email address.")]},
        ) from exc
    return email


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    role: str = Role.MEMBER,
    email_verified: bool = True,
) -> User:
    """Create a gym user (in the current schema) with a role.

    `password=None` makes an account without a usable password: the person sets one
    through the password-reset email. Accounts created by staff count as verified.
    """
    email = _clean_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("A user with this email already exists."),
            code="email_taken",
            details={"email": [_("A user with this email already exists.")]},
        )
    user = User(email=email, full_name=(full_name or "").strip(), role=role)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ApplicationError(
                _("The password is too weak."),
                code="weak_password",
                details={"password": exc.messages},
            ) from exc
        user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=email_verified)
    user_set_role(user=user, role=role)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str) -> User:
    if role not in Role.values:
        raise ApplicationError(_("Unknown role."), code="invalid_role")
    user.role = role
    user.is_staff = role in ADMIN_ROLES or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    user.groups.set(Group.objects.filter(name=role))
    return user


def user_deactivate(*, user: User, by: User) -> User:
    if user.pk == by.pk:
        raise ApplicationError(_("You cannot deactivate your own account."), code="self_deactivate")
    if user.role == Role.OWNER and by.role != Role.OWNER:
        raise ApplicationError(
            _("Only an owner can deactivate an owner."), code="permission_denied", status_code=403
        )
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user
