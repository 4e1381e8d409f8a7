"""Changing a person's notification preferences (channels per category, quiet hours),
and the one-click unsubscribe of optional emails."""

from __future__ import annotations

from datetime import time

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.common.errors import ApplicationError
from apps.members.models import Member
from apps.notifications import kinds
from apps.notifications.models import Category, Channel, Preference
from apps.notifications.services.hub import unsubscribe_salt


def _preference(*, member=None, user=None, lock: bool = False) -> Preference:
    rows = Preference.objects.select_for_update() if lock else Preference.objects
    if member is not None:
        preference, _created = rows.get_or_create(member=member)
    else:
        preference, _created = rows.get_or_create(user=user)
    return preference


def preference_update(
    *,
    member=None,
    user=None,
    channels: dict | None = None,
    quiet_hours: tuple[time | None, time | None] | None = None,
) -> Preference:
    """Set some channels (`{"classes": {"email": False}}`) and/or the quiet hours (both
    times, or both None to clear them). Unknown categories or channels are refused."""
    channels = channels or {}
    for category, chosen in channels.items():
        if category not in Category.values:
            raise ApplicationError(
                _("Unknown category: %(category)s") % {"category": category},
                code="unknown_category",
            )
        if not isinstance(chosen, dict) or any(
            c not in Channel.values or not isinstance(v, bool) for c, v in chosen.items()
        ):
            raise ApplicationError(
                _("Channels are email and push, each true or false."), code="invalid_channels"
            )
    if quiet_hours is not None and (quiet_hours[0] is None) != (quiet_hours[1] is None):
        raise ApplicationError(
            _("Quiet hours need both a start and an end."), code="invalid_quiet_hours"
        )
    with transaction.atomic():
        preference = _preference(member=member, user=user, lock=True)
        merged = {k: dict(v) for k, v in preference.channels.items()}
        for category, chosen in channels.items():
            merged.setdefault(category, {}).update(chosen)
        preference.channels = merged
        if quiet_hours is not None:
            preference.quiet_start, preference.quiet_end = quiet_hours
        preference.save()
    return preference


def preference_unsubscribe(*, token: str) -> tuple[object, str]:
    """Switch off email for the category named in an unsubscribe link. Returns the
    person and the category; a forged or damaged token is refused."""
    try:
        data = signing.loads(token, salt=unsubscribe_salt())
        category = data["c"]
    except (signing.BadSignature, KeyError, TypeError) as exc:
        raise ApplicationError(
            _("This unsubscribe link is not valid."), code="invalid_link", status_code=404
        ) from exc
    if "m" in data:
        person = Member.objects.filter(pk=data["m"]).first()
        who = {"member": person}
    else:
        person = User.objects.filter(pk=data.get("u")).first()
        who = {"user": person}
    if person is None or category not in Category.values:
        raise ApplicationError(
            _("This unsubscribe link is not valid."), code="invalid_link", status_code=404
        )
    preference_update(**who, channels={category: {kinds.EMAIL: False}})
    return person, category
