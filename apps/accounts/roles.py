"""Roles per gym and what each may do.

A role is a Django group in the gym's schema holding model permissions, so the staff
dashboard, Django admin and the API all check the same `user.has_perm(...)`.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    TRAINER = "trainer", _("Trainer")
    FRONT_DESK = "front_desk", _("Front desk")
    MEMBER = "member", _("Member")


STAFF_ROLES = frozenset({Role.OWNER, Role.MANAGER, Role.TRAINER, Role.FRONT_DESK})
# Roles that may open Django admin on their gym's domain.
ADMIN_ROLES = frozenset({Role.OWNER, Role.MANAGER})

_MEMBERS_ALL = [
    "members.view_member",
    "members.add_member",
    "members.change_member",
    "members.delete_member",
]
# Importing members from the old system (a CSV file): owners and managers only, as it
# writes many members at once (the front desk adds them one by one).
_MEMBER_IMPORTS = ["members.view_memberimport", "members.add_memberimport"]
_STAFF_ALL = [
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.manage_staff",
]

# The door: front desk checks people in and out and issues cards; managers also run the
# kiosks and the door rules.
_DOOR_DESK = [
    "attendance.view_visit",
    "attendance.add_visit",
    "attendance.change_visit",
    "attendance.view_deniedattempt",
    "attendance.override_refusal",  # "Let in anyway", with a reason (audited)
    "attendance.view_kiosk",
    "attendance.change_memberpass",
]
_DOOR_ALL = [
    *_DOOR_DESK,
    "attendance.add_kiosk",
    "attendance.change_kiosk",
    "attendance.change_doorsettings",
]
_CLASSES_ALL = [
    f"bookings.{verb}_{model}"
    for model in (
        "room",
        "classtype",
        "trainerprofile",
        "schedule",
        "classsession",
        "closure",
        "traineravailability",
        "trainertimeoff",
        "ptsessiontype",
    )
    for verb in ("view", "add", "change", "delete")
] + [
    "bookings.view_booking",
    "bookings.add_booking",  # book a member into a class from the roster
    "bookings.change_booking",
    "bookings.view_penalty",
    "bookings.change_penalty",
    "bookings.view_bookingpolicy",
    "bookings.change_bookingpolicy",
    "bookings.view_calendarfeed",
    "bookings.view_ptbooking",
    "bookings.change_ptbooking",
]
# Trainers and the front desk see the timetable and take attendance on the roster.
_CLASSES_ROSTER = ["bookings.view_classsession", "bookings.view_booking", "bookings.change_booking"]
_BILLING_READ = [
    "billing.view_membershipplan",
    "billing.view_membersubscription",
    "billing.view_invoice",
    "billing.view_membercharge",
]
_BILLING_ALL = [
    *_BILLING_READ,
    "billing.add_membershipplan",
    "billing.change_membershipplan",
    "billing.view_webhookevent",
    "billing.view_creditentry",
    "billing.view_billing_reports",
    "billing.change_membercharge",  # send a refused charge to Stripe again
]
# Assessments: trainers see clients' results and blocks; owners and managers also lift blocks.
_ASSESSMENTS_VIEW = ["assessments.view_attempt", "assessments.view_quotablock"]
_ASSESSMENTS_ALL = [
    *_ASSESSMENTS_VIEW,
    "assessments.change_quotablock",
    "assessments.view_auditevent",
]
# Announcements to members (apps.notifications): owners and managers only. Every staff
# member has their own inbox (no permission: it is theirs).
_ANNOUNCEMENTS_ALL = ["notifications.view_announcement", "notifications.add_announcement"]
# Challenges (apps.goals): owners and managers run them (a prize is the gym's promise);
# trainers see them and their leaderboards to cheer clients on; the front desk does not.
_CHALLENGES_VIEW = ["goals.view_challenge"]
_CHALLENGES_ALL = [*_CHALLENGES_VIEW, "goals.add_challenge", "goals.change_challenge"]
# Members' goals, check-ins and streaks (apps.goals): trainers, managers and owners see them
# on the member page and the broken-streak list (coaching); nobody on staff edits them.
# Motivation messages' ratings per tone and source: owners and managers (what the gym pays
# the AI for).
_GOALS_VIEW = ["goals.view_goal", "goals.view_checkin", "goals.view_streak"]
_MOTIVATION_VIEW = ["goals.view_motivation"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OWNER: [
        *_MEMBERS_ALL,
        *_MEMBER_IMPORTS,
        *_STAFF_ALL,
        *_DOOR_ALL,
        *_CLASSES_ALL,
        *_BILLING_ALL,
        *_ASSESSMENTS_ALL,
        *_ANNOUNCEMENTS_ALL,
        *_CHALLENGES_ALL,
        *_GOALS_VIEW,
        *_MOTIVATION_VIEW,
        "billing.view_billingsettings",
        "billing.add_billingsettings",
        "billing.change_billingsettings",
        "accounts.manage_gym_settings",
        "auth.view_group",
    ],
    Role.MANAGER: [
        *_MEMBERS_ALL,
        *_MEMBER_IMPORTS,
        *_STAFF_ALL,
        *_DOOR_ALL,
        *_CLASSES_ALL,
        *_BILLING_ALL,
        *_ASSESSMENTS_ALL,
        *_ANNOUNCEMENTS_ALL,
        *_CHALLENGES_ALL,
        *_GOALS_VIEW,
        *_MOTIVATION_VIEW,
    ],
    # Trainers answer personal-training requests made to them (scoped in the views).
    Role.TRAINER: [
        "members.view_member",
        "attendance.view_visit",
        *_CLASSES_ROSTER,
        "bookings.view_ptbooking",
        "bookings.change_ptbooking",
        *_ASSESSMENTS_VIEW,
        *_CHALLENGES_VIEW,
        *_GOALS_VIEW,
    ],
    Role.FRONT_DESK: [
        "members.view_member",
        "members.add_member",
        "members.change_member",
        *_DOOR_DESK,
        *_CLASSES_ROSTER,
        "bookings.add_booking",  # the desk books members into classes from the roster
        "bookings.view_penalty",
        *_BILLING_READ,
    ],
    Role.MEMBER: [],
}


def roles_sync_groups() -> None:
    """Create/refresh one group per role in the current schema. Idempotent.

    Runs for every gym on each `migrate_schemas` and on each new gym: one query for all
    the permissions, not one per permission.
    """
    needed = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={perm.split(".")[1] for perm in needed}
        )
    }
    missing = needed - set(by_name)
    if missing:
        raise LookupError(f"Role permissions missing from the database: {sorted(missing)}")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([by_name[perm] for perm in perms])
