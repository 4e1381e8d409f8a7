from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.roles import STAFF_ROLES, Role


def staff_list() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "role", "email")


def setup_staff_done() -> bool:
    """Somebody besides the owners has a staff login (a manager, trainer or front desk)."""
    return staff_list().filter(is_active=True).exclude(role=Role.OWNER).exists()
