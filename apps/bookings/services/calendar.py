"""Private calendar feeds: the URL carries a random token instead of a login, because
calendar apps cannot log in; rotating the token revokes the old URL. What the feed holds
is read by selectors.calendar_feed_events and written out by apps.bookings.ical."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from apps.bookings.models import CalendarFeed, TrainerProfile, new_feed_token
from apps.common.errors import ApplicationError
from apps.members.selectors import member_for_user


def calendar_feed_for(*, user, rotate: bool = False) -> CalendarFeed:
    """The user's feed (as trainer if they have a trainer profile, else as member)."""
    trainer = TrainerProfile.objects.filter(user=user).first()
    member = None if trainer else member_for_user(user=user)
    if trainer is None and member is None:
        raise ApplicationError(
            _("This account has no member or trainer profile."),
            code="no_member_profile",
            status_code=404,
        )
    with transaction.atomic():
        lookup = {"trainer": trainer} if trainer else {"member": member}
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(**lookup)
        if rotate and not created:
            feed.token = new_feed_token()
            feed.save(update_fields=["token"])
    return feed
