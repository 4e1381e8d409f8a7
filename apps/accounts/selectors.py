from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.roles import STAFF_ROLES


def staff_list() -> QuerySet[User]:
    return User.objects.filter(role__in=STAFF_ROLES).order_by("-is_active", "role", "email")
