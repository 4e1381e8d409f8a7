"""Writes on members. Staff dashboard, API, admin and signup all come through here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import invitation_send, user_create
from apps.common.errors import ApplicationError
from apps.common.realtime import broadcast_on_commit
from apps.members.models import Member, MemberStatus

# Fields staff may set; members may edit only their own contact details.
STAFF_EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "time_zone",
    "date_of_birth",
    "emergency_contact_name",
    "emergency_contact_phone",
    "photo",
    "status",
    "tier",
    "payment_overdue",  # by hand where the gym has no Stripe; billing owns it for subscribers
    "joined_on",
    "household",
    "tags",
    "notes",
)
STAFF_FIELDS = frozenset(STAFF_EDITABLE_FIELDS)
SELF_EDITABLE_FIELDS = (
    "phone",
    "language",
    "time_zone",
    "emergency_contact_name",
    "emergency_contact_phone",
    "photo",
)
SELF_FIELDS = frozenset(SELF_EDITABLE_FIELDS)


def _next_number() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('member_number_seq')")
        number = cursor.fetchone()[0]
        if Member.objects.filter(number=number).exists():
            # Numbers set by hand (an import) got ahead of the sequence: catch up once.
            cursor.execute(
                "SELECT setval('member_number_seq', (SELECT MAX(number) FROM members_member))"
            )
            cursor.execute("SELECT nextval('member_number_seq')")
            number = cursor.fetchone()[0]
    return number


def _clean_tags(tags) -> list[str]:
    cleaned = []
    for tag in tags or []:
        tag = str(tag).strip().lower()[:32]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned[:20]


def _apply(member: Member, data: dict, allowed: frozenset) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here."),
            code="invalid_fields",
            details={field: [_("Not allowed.")] for field in sorted(unknown)},
        )
    for field, value in data.items():
        if field == "tags":
            value = _clean_tags(value)
        if field == "email":
            value = (value or "").strip().lower()
        setattr(member, field, value)
    if member.household_id:
        household = member.household
        if member.pk and household.pk == member.pk:
            raise ApplicationError(
                _("A member cannot be linked to themselves as a household."),
                code="invalid_household",
            )
        if member.pk and member.household_members.exists():
            raise ApplicationError(
                _("This member heads a household; a household head cannot join another."),
                code="invalid_household",
            )
        if household.household_id:
            raise ApplicationError(
                _("Link to the household's main member instead."), code="invalid_household"
            )
    if (
        member.email
        and Member.objects.filter(email__iexact=member.email).exclude(pk=member.pk).exists()
    ):
        raise ApplicationError(
            _("Another member already uses this email."),
            code="email_taken",
            details={"email": [_("Another member already uses this email.")]},
        )
    try:
        member.full_clean(exclude=["number", "user"])
    except ValidationError as exc:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=exc.message_dict
        ) from exc


def _announce(member: Member, event: str) -> None:
    broadcast_on_commit(
        "staff",
        event,
        {
            "id": member.pk,
            "number": member.number,
            "name": member.full_name,
            "status": member.status,
        },
    )


@transaction.atomic
def member_create(*, data: dict, by: User | None = None, user: User | None = None) -> Member:
    member = Member(user=user)
    _apply(member, data, STAFF_FIELDS)
    member.number = _next_number()
    member.save()
    _announce(member, "member.created")
    return member


@transaction.atomic
def member_update(*, member: Member, data: dict, by: User) -> Member:
    allowed = SELF_FIELDS if by.role == Role.MEMBER else STAFF_FIELDS
    if by.role == Role.MEMBER and member.user_id != by.pk:
        raise ApplicationError(_("Not found."), code="not_found", status_code=404)
    _apply(member, data, allowed)
    member.save()
    _announce(member, "member.updated")
    return member


@transaction.atomic
def member_register_self(*, user: User, first_name: str = "", last_name: str = "") -> Member:
    """A person signed up on the gym's site or app: a lead with a login of their own."""
    same_email = Member.objects.filter(email__iexact=user.email).first()
    if same_email is not None and same_email.user_id is None:
        # Staff had already recorded them: attach the login, keep the profile.
        same_email.user = user
        same_email.save(update_fields=["user", "updated_at"])
        return same_email
    name = first_name or user.full_name.split(" ")[0] or user.email.split("@")[0]
    # If another member's profile holds this address (its login has another one), the new
    # lead starts without it rather than failing the signup; staff can sort it out.
    email = "" if same_email is not None else user.email
    data = {
        "first_name": name[:80],
        "last_name": last_name,
        "email": email,
        "status": MemberStatus.LEAD,
    }
    return member_create(data=data, user=user)


@transaction.atomic
def member_grant_app_access(*, member: Member, password: str | None = None) -> User:
    """Give a member a login for the app (role member). Without a password the member
    sets one through the password-reset email."""
    if member.user_id:
        raise ApplicationError(_("This member can already log in."), code="already_has_login")
    if not member.email:
        raise ApplicationError(_("Add the member's email first."), code="email_required")
    user = user_create(
        email=member.email, password=password, full_name=member.full_name, role=Role.MEMBER
    )
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    return user


@transaction.atomic
def member_invite_to_app(*, member: Member, by: User) -> User:
    """ "Invite to the app": give the member a login (if they have none yet) and email
    them a welcome with the gym's app link and a link to choose their password. Again
    for a member who has not chosen one yet: a fresh link (the old one stops working)."""
    member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
    if member.user_id is None:
        user = member_grant_app_access(member=member)
    else:
        user = member.user
        if user.has_usable_password():
            raise ApplicationError(_("This member can already log in."), code="already_has_login")
    invitation_send(user=user, by=by, recipient=member)
    return user
