"""Every kind of notification, in one place: its category (what preferences switch), the
channels it uses by default, and whether it is transactional.

Transactional kinds (a payment failed, your class was cancelled) always go by email and
ignore quiet hours; optional ones follow the member's preferences, wait for quiet hours to
end before pushing, carry a one-click unsubscribe link, and are not emailed to addresses
that bounced or complained.

A kind's texts are the templates `notifications/<kind>_subject.txt` (the title),
`<kind>_message.txt` (the email, and the in-app text unless there is a `<kind>_short.txt`)
and optionally `<kind>_message.html`. A kind that sets `rendered=True` takes its title and
text from the context instead (`title`, `body`: announcements, typed by staff).
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.notifications.models import Category, Channel

EMAIL, PUSH = Channel.EMAIL.value, Channel.PUSH.value


@dataclass(frozen=True)
class Kind:
    key: str
    category: str
    channels: tuple[str, ...] = (EMAIL, PUSH)
    transactional: bool = False
    rendered: bool = False


# What a member gets per category when they have not chosen: everything the kind offers.
CATEGORY_DEFAULTS: dict[str, dict[str, bool]] = {
    category: {EMAIL: True, PUSH: True} for category in Category.values
}

KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.key in KINDS:
        raise ValueError(f"Notification kind {kind.key!r} is registered twice")
    if kind.category not in Category.values:
        raise ValueError(f"Unknown category {kind.category!r} for {kind.key!r}")
    KINDS[kind.key] = kind
    return kind


def get(key: str) -> Kind:
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"Unknown notification kind {key!r}") from None


_C, _B, _P, _A = Category.CLASSES, Category.BILLING, Category.PROGRAMS, Category.ANNOUNCEMENTS
for _kind in (
    # Classes and personal training (apps.bookings).
    Kind("booking_reminder", _C),
    Kind("booking_promoted", _C, transactional=True),
    Kind("waitlist_closed", _C, transactional=True),
    Kind("session_cancelled", _C, transactional=True),
    Kind("session_changed", _C, transactional=True),
    Kind("pt_requested", _C, transactional=True),
    Kind("pt_confirmed", _C, transactional=True),
    Kind("pt_declined", _C, transactional=True),
    Kind("pt_cancelled", _C, transactional=True),
    # Billing.
    Kind("billing_payment_failed", _B, transactional=True),
    Kind("billing_charge_added", _B, transactional=True),
    # Assessments.
    Kind("assessment_retest", _P),
    # Goals (apps.goals): a challenge finished.
    Kind("challenge_completed", Category.GOALS),
    # Goals (apps.goals): a goal reached 25/50/75/100 %.
    Kind("goal_milestone", Category.GOALS),
    # Goals: a missed day was covered by a streak freeze (in-app and push, no email).
    Kind("streak_freeze_used", Category.GOALS, channels=(PUSH,)),
    # Goals: a motivation message after a check-in or in the morning. In-app only (the
    # inbox and /ws/me/): an email or push per check-in would be noise.
    Kind("motivation", Category.GOALS, channels=()),
    # Staff announcements and the weekly summary.
    Kind("announcement", _A, rendered=True),
    Kind("weekly_summary", _A, channels=(EMAIL,)),
    # Invitations to set a password (apps.accounts): by email only (the person has no
    # device yet), always sent. No category fits an account message; they sit with the
    # gym's own messages, and preferences never hold them back (transactional).
    Kind("staff_invitation", _A, channels=(EMAIL,), transactional=True),
    Kind("member_invitation", _A, channels=(EMAIL,), transactional=True),
):
    register(_kind)


# --- Reminder resolvers ----------------------------------------------------------------
# A kind sent by reminders (services/reminders.py) may register a resolver that builds
# the notification's context when a reminder is due, from what is true then (the booking,
# the session, the attempt): it takes the due reminders of that kind (a list, so it can
# read their objects in one query) and returns {reminder id: context}. A reminder whose
# id is missing, or maps to SKIP (None), is not sent: what it was about is gone (the
# booking was cancelled). Kinds without a resolver send the reminder's stored context.

SKIP = None
RESOLVERS: dict[str, object] = {}


def register_resolver(key: str):
    """Decorator: `@register_resolver("booking_reminder") def resolve(reminders): ...`."""
    get(key)

    def decorate(function):
        if key in RESOLVERS:
            raise ValueError(f"A reminder resolver for {key!r} is registered twice")
        RESOLVERS[key] = function
        return function

    return decorate
