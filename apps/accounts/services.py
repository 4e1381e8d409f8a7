"""Writes on users: creation with a role, role changes, verified email addresses, and the
invitations that let a new colleague or member choose a password."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Invitation, User
from apps.accounts.roles import ADMIN_ROLES, Role
from apps.common.errors import ApplicationError
from apps.common.links import gym_url
from apps.notifications.services import notify

# How long a set-password link works.
INVITATION_MAX_AGE = timedelta(days=7)
# A second "send" for the same person within this window is the same click twice (or a
# double click): it sends nothing new and keeps the link just sent working.
INVITATION_RESEND_WINDOW = timedelta(seconds=30)


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


# --- Invitations ---------------------------------------------------------------------------


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_send(*, user: User, by: User | None, recipient=None) -> Invitation:
    """Email `user` a link to set their password (valid INVITATION_MAX_AGE, once).

    A resend replaces the previous link: only the newest email works, so a forwarded or
    leaked older one is dead. `recipient` is who notify() addresses: the member profile
    for a member (their language), else the user (the gym's language). Sending twice
    within INVITATION_RESEND_WINDOW is a double click and sends once.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.has_usable_password():
        raise ApplicationError(
            _("%(email)s has already set a password.") % {"email": user.email},
            code="already_accepted",
        )
    now = timezone.now()
    latest = user.invitations.order_by("-created_at", "-id").first()
    if (
        latest is not None
        and latest.state(now) == "open"
        and now - latest.created_at < INVITATION_RESEND_WINDOW
    ):
        return latest
    user.invitations.filter(accepted_at=None, revoked_at=None).update(revoked_at=now, replaced=True)
    if not user.is_active:
        # Sending again after a revoke means "yes, let them in after all".
        user.is_active = True
        user.save(update_fields=["is_active"])
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        invited_by=by if getattr(by, "pk", None) else None,
        token_hash=invitation_token_hash(token),
        created_at=now,
        expires_at=now + INVITATION_MAX_AGE,
    )
    is_member = user.role == Role.MEMBER
    notify(
        recipient or user,
        "member_invitation" if is_member else "staff_invitation",
        {
            "inviter": by.get_full_name() if getattr(by, "pk", None) else "",
            "role": user.get_role_display(),
            "link": gym_url(reverse("invitation-accept", args=[token])),
            "app_url": gym_url("/app/"),
            "expires_at": invitation.expires_at,
        },
        dedupe_key=f"invitation:{invitation.pk}",
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, user: User, by: User) -> int:
    """Withdraw `user`'s open links. Someone who never set a password is also switched
    off, so "Forgot your password?" cannot stand in for the withdrawn link. Returns the
    number of links withdrawn."""
    user = User.objects.select_for_update().get(pk=user.pk)
    revoked = user.invitations.filter(accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    if not revoked:
        raise ApplicationError(_("There is no open invitation to revoke."), code="no_invitation")
    if not user.has_usable_password() and user.is_active:
        user_deactivate(user=user, by=by)
    return revoked


def invitation_find(*, token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("user", "invited_by")
        .filter(token_hash=invitation_token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the password through an open link; the link is then used up."""
    found = invitation_find(token=token)
    invitation = (
        Invitation.objects.select_for_update().select_related("user").get(pk=found.pk)
        if found
        else None
    )
    if invitation is None or invitation.state() != "open" or not invitation.user.is_active:
        raise ApplicationError(
            _("This link no longer works."), code="invitation_invalid", status_code=400
        )
    user = invitation.user
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(
            _("The password is too weak."),
            code="weak_password",
            details={"password": exc.messages},
        ) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    # The link came to this address: it is verified.
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


def invitation_renew(*, token: str) -> Invitation:
    """The person behind an expired link asks for a new one: sent to the same address
    (so nobody else gains anything from an old link), once per old link."""
    invitation = invitation_find(token=token)
    if invitation is None or invitation.state() != "expired" or not invitation.user.is_active:
        raise ApplicationError(
            _("A new link cannot be sent from this one. Ask the gym to invite you again."),
            code="invitation_invalid",
        )
    recipient = getattr(invitation.user, "member", None) or invitation.user
    return invitation_send(user=invitation.user, by=invitation.invited_by, recipient=recipient)
