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
        if len(email) > User._meta.get_field("email").max_length:
            raise ValidationError("too long")
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
    by: User | None = None,
) -> User:
    """Create a gym user (in the current schema) with a role.

    `password=None` makes an account without a usable password: the person sets one
    through the password-reset email. Accounts created by staff count as verified.
    """
    email = _clean_email(email)
    role_change_check(user=None, role=role, by=by)
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


def _other_active_owners(user: User) -> bool:
    return User.objects.filter(role=Role.OWNER, is_active=True).exclude(pk=user.pk).exists()


def role_change_check(*, user: User | None, role: str, by: User | None) -> None:
    """Raise unless `by` may give `role` to `user` (None: a new account).

    Only owners make or unmake owners, and a gym always keeps one active owner.
    `by=None` is the system itself (provisioning, signup).
    """
    if role not in Role.values:
        raise ApplicationError(_("Unknown role."), code="invalid_role")
    old_role = user.role if user is not None and user.pk else None
    may_touch_owners = by is None or by.is_superuser or by.role == Role.OWNER
    if Role.OWNER in (role, old_role) and role != old_role and not may_touch_owners:
        raise ApplicationError(
            _("Only an owner can make or unmake an owner."),
            code="permission_denied",
            status_code=403,
        )
    if old_role == Role.OWNER and role != Role.OWNER and not _other_active_owners(user):
        raise ApplicationError(
            _("A gym needs an owner: make someone else owner first."), code="last_owner"
        )


@transaction.atomic
def user_set_role(*, user: User, role: str, by: User | None = None) -> User:
    """Give `user` a role. `by` is who asks (None: the system, e.g. provisioning)."""
    if role != user.role:
        role_change_check(user=user, role=role, by=by)
    user.role = role
    user.is_staff = role in ADMIN_ROLES or user.is_superuser
    user.save(update_fields=["role", "is_staff"])
    user.groups.set(Group.objects.filter(name=role))
    return user


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> User:
    if user.pk == by.pk:
        raise ApplicationError(_("You cannot deactivate your own account."), code="self_deactivate")
    if user.role == Role.OWNER:
        if not (by.is_superuser or by.role == Role.OWNER):
            raise ApplicationError(
                _("Only an owner can deactivate an owner."),
                code="permission_denied",
                status_code=403,
            )
        if not _other_active_owners(user):
            raise ApplicationError(
                _("A gym needs an owner: make someone else owner first."), code="last_owner"
            )
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user
