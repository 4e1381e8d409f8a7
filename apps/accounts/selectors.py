from django.db.models import QuerySet

from apps.accounts.models import Invitation, User
from apps.accounts.roles import STAFF_ROLES, Role


def staff_list() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "role", "email")


def setup_staff_done() -> bool:
    """Somebody besides the owners has a staff login (a manager, trainer or front desk)."""
    return staff_list().filter(is_active=True).exclude(role=Role.OWNER).exists()


def latest_invitations(*, user_ids) -> dict[int, Invitation]:
    """The newest invitation of each of these users, by user id (one query)."""
    rows = (
        Invitation.objects.filter(user_id__in=list(user_ids))
        .order_by("user_id", "-created_at", "-id")
        .distinct("user_id")
    )
    return {row.user_id: row for row in rows}
