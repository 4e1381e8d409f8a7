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
_STAFF_ALL = [
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.manage_staff",
]

# Assessments: trainers see clients' results and blocks; owners and managers also lift blocks.
_ASSESSMENTS_VIEW = ["assessments.view_attempt", "assessments.view_quotablock"]
_ASSESSMENTS_ALL = [
    *_ASSESSMENTS_VIEW,
    "assessments.change_quotablock",
    "assessments.view_auditevent",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OWNER: [
        *_MEMBERS_ALL,
        *_STAFF_ALL,
        *_ASSESSMENTS_ALL,
        "accounts.manage_gym_settings",
        "auth.view_group",
    ],
    Role.MANAGER: [*_MEMBERS_ALL, *_STAFF_ALL, *_ASSESSMENTS_ALL],
    Role.TRAINER: ["members.view_member", *_ASSESSMENTS_VIEW],
    Role.FRONT_DESK: ["members.view_member", "members.add_member", "members.change_member"],
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
