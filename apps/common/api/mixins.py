"""Mixins for API views.

`OwnMemberMixin` is for endpoints that act for the member behind the request (`/me/...`,
bookings, attempts, subscriptions): `get_own_member()` is that member, or the same 404 error
for every such endpoint when the account has no member profile (staff, trainers)."""

from django.utils.translation import gettext as _

from apps.common.errors import ApplicationError
from apps.members.models import Member
from apps.members.selectors import member_for_user


# No class docstring on purpose: drf-spectacular would show it as the description of
# every endpoint that has no docstring of its own.
class OwnMemberMixin:
    def get_own_member(self) -> Member:
        # DRF makes a view instance per request: one lookup however often it is asked.
        if not hasattr(self, "_own_member"):
            member = member_for_user(user=self.request.user)
            if member is None:
                raise ApplicationError(
                    _("This account has no member profile."),
                    code="no_member_profile",
                    status_code=404,
                )
            self._own_member = member
        return self._own_member
