"""Booking, cancelling, the waitlist, attendance and penalties: every write on bookings.

Never overbook: each write that changes who holds a place locks the session row
(`SELECT ... FOR UPDATE`) first, then counts. Concurrent requests for one class therefore
run one after another, and booking ids (the waitlist order) follow that order. Locks are
always taken session first, member second, so two writes never wait on each other in a
cycle.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.billing.selectors import credit_can_pay
from apps.billing.services import (
    charge_cancel,
    charge_create,
    credit_forfeit,
    credit_give_back,
    credit_spend,
    credit_spend_again,
)
from apps.bookings.cache import timetable_changed
from apps.bookings.models import (
    PLACE_STATUSES,
    Booking,
    BookingPolicy,
    BookingStatus,
    ClassSession,
    Penalty,
    PenaltyKind,
    PenaltyReason,
    SessionStatus,
)
from apps.bookings.policy import (
    BOOKABLE_MEMBER_STATUSES,
    blocked_until,
    booking_problems,
    cancel_is_late,
    gym_zone,
    tier_allows,
)
from apps.bookings.selectors import current_gym
from apps.bookings.services.notices import session_notice_context
from apps.bookings.services.reminders import (
    booking_reminder_set,
    booking_reminders_cancel,
    upcoming_reminders_sync,
)
from apps.bookings.signals import booking_attended
from apps.common.errors import ApplicationError
from apps.common.i18n import in_gym_language
from apps.members.models import Member
from apps.notifications.services import notify

logger = logging.getLogger(__name__)

# What staff booking a member in may pass over: the window members book in.
STAFF_MAY_OVERRIDE = frozenset({"window_not_open", "window_closed"})

# A roster may be marked from a little before the start (people arrive early).
ATTENDANCE_OPENS_BEFORE = timedelta(minutes=30)


def _lock_session(session_id: int) -> ClassSession:
    try:
        return (
            ClassSession.objects.select_for_update(of=("self",))
            .select_related("class_type")
            .get(pk=session_id)
        )
    except ClassSession.DoesNotExist:
        raise ApplicationError(
            _("This class does not exist."), code="not_found", status_code=404
        ) from None


def _lock_member(member_id: int) -> Member:
    return Member.objects.select_for_update().get(pk=member_id)


def booking_create(
    *,
    member: Member,
    session: ClassSession,
    join_waitlist: bool = True,
    now: datetime | None = None,
    by_staff: bool = False,
) -> Booking:
    """Book `member` into `session`, or put them on its waitlist when it is full.

    Raises ApplicationError (code = the first rule broken, details.problems = all) when the
    policy does not allow it, or `class_full` when full and `join_waitlist` is false.
    `by_staff` (staff booking a member in from the roster): every rule applies except the
    booking window (not open yet, or closed before the start).
    """
    now = now or timezone.now()
    gym = current_gym()
    try:
        with transaction.atomic():
            session = _lock_session(session.pk)
            member = _lock_member(member.pk)
            policy = BookingPolicy.load()
            # The locked row's counter is current: the trigger that keeps it updates this
            # row, so no other transaction can change it while we hold the lock.
            full = session.booked_count >= session.capacity
            problems = booking_problems(
                member=member, session=session, policy=policy, gym=gym, now=now, waitlist=full
            )
            if by_staff:
                problems = [p for p in problems if p.code not in STAFF_MAY_OVERRIDE]
            if problems:
                raise ApplicationError(
                    problems[0].message,
                    code=problems[0].code,
                    details={
                        "problems": [{"code": p.code, "message": p.message} for p in problems]
                    },
                    status_code=409,
                )
            if full and not join_waitlist:
                raise ApplicationError(_("This class is full."), code="class_full", status_code=409)
            status = BookingStatus.WAITLISTED if full else BookingStatus.BOOKED
            booking = Booking.objects.create(member=member, session=session, status=status)
            if status == BookingStatus.BOOKED:
                credit_spend(
                    booking=booking, member=member
                )  # checked by booking_problems, under our lock
                booking_reminder_set(booking=booking, session=session, policy=policy, gym=gym)
            timetable_changed()
            return booking
    except IntegrityError:
        # The member lock makes this unreachable through this function; the constraint
        # still guards every other path (admin, scripts, future code).
        raise ApplicationError(
            _("You already have a place in this class."), code="already_booked", status_code=409
        ) from None


def booking_cancel(
    *, booking: Booking, by=None, now: datetime | None = None, waive_penalty: bool = False
) -> Booking:
    """Cancel a booking or leave the waitlist. A booked place cancelled within the policy's
    late window becomes `late_cancelled` with the policy's penalties; the freed place goes
    to the first eligible member on the waitlist."""
    now = now or timezone.now()
    gym = current_gym()
    with transaction.atomic():
        session = _lock_session(booking.session_id)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in (BookingStatus.BOOKED, BookingStatus.WAITLISTED):
            raise ApplicationError(
                _("This booking is not active."), code="not_active", status_code=409
            )
        if session.starts_at <= now:
            raise ApplicationError(
                _("This class has already started."), code="session_started", status_code=409
            )
        policy = BookingPolicy.load()
        was_booked = booking.status == BookingStatus.BOOKED
        late = was_booked and cancel_is_late(policy=policy, starts_at=session.starts_at, now=now)
        booking.status = BookingStatus.LATE_CANCELLED if late else BookingStatus.CANCELLED
        booking.cancelled_at = now
        booking.save(update_fields=["status", "cancelled_at"])
        booking_reminders_cancel([booking.pk])
        if late and not waive_penalty:
            _apply_penalties(booking, PenaltyReason.LATE_CANCEL, policy, now)
        elif was_booked:
            credit_give_back(booking=booking, reason="class_cancelled")
        if was_booked:
            _promote_waitlisted(session=session, policy=policy, gym=gym, now=now)
        timetable_changed()
    return booking


def _apply_penalties(booking: Booking, reason: str, policy: BookingPolicy, now) -> list[Penalty]:
    strike, fee, credit = policy.consequences(reason)
    penalties = []
    if strike:
        penalties.append(Penalty(kind=PenaltyKind.STRIKE))
    if fee:
        penalties.append(Penalty(kind=PenaltyKind.FEE, amount=fee))
    # The class credit: forfeited when the policy says so (a penalty staff can waive,
    # which gives it back), returned otherwise. Only bookings that spent one.
    if credit:
        if credit_forfeit(booking=booking):
            penalties.append(Penalty(kind=PenaltyKind.CREDIT_FORFEIT))
    else:
        credit_give_back(booking=booking, reason=reason)
    for penalty in penalties:
        penalty.member_id = booking.member_id
        penalty.booking = booking
        penalty.reason = reason
        penalty.created_at = now
    penalties = Penalty.objects.bulk_create(penalties)
    session = booking.session
    fees_charge(penalties, session.starts_at, class_name=session.class_type.name)
    return penalties


def fees_charge(
    penalties: list[Penalty], starts_at: datetime, *, class_name: str = "", trainer: str = ""
) -> None:
    """Bill the fee penalties through the gym's Stripe account (billing sends them after
    commit; see apps.billing.services.charge_create), for a class or a PT session."""
    gym = current_gym()
    for penalty in penalties:
        if penalty.kind != PenaltyKind.FEE:
            continue
        # In the gym's language (as its emails): the line appears on Stripe's invoice.
        with in_gym_language():
            when = date_format(
                timezone.localtime(starts_at, gym_zone(gym)), "SHORT_DATETIME_FORMAT"
            )
            what = class_name or _("personal training with %(trainer)s") % {"trainer": trainer}
            label = (
                _("Late cancellation fee: %(what)s, %(when)s")
                if penalty.reason == PenaltyReason.LATE_CANCEL
                else _("No-show fee: %(what)s, %(when)s")
            )
            description = label % {"what": what, "when": when}
        penalty.charge = charge_create(
            member=penalty.member,
            amount_minor=penalty.amount,
            description=description,
            source=f"penalty:{penalty.pk}",
        )
        penalty.save(update_fields=["charge"])


def _promote_waitlisted(*, session: ClassSession, policy: BookingPolicy, gym, now) -> list[Booking]:
    """Fill free places from the waitlist, in order, skipping members who may no longer
    book (membership lapsed, tier changed, blocked). Caller holds the session lock."""
    if session.status != SessionStatus.SCHEDULED:
        return []
    if now >= session.starts_at - timedelta(minutes=policy.waitlist_closes_minutes_before):
        return []  # too late to hand someone a place they may not see in time
    free = (
        session.capacity
        - Booking.objects.filter(session=session, status__in=PLACE_STATUSES).count()
    )
    promoted = []
    if free <= 0:
        return promoted
    waiting = Booking.objects.filter(session=session, status=BookingStatus.WAITLISTED).order_by(
        "id"
    )
    for candidate in waiting.iterator():
        member = _lock_member(candidate.member_id)
        eligible = (
            member.status in BOOKABLE_MEMBER_STATUSES
            and tier_allows(member.tier, session.class_type.required_tier)
            and blocked_until(member=member, policy=policy, now=now) is None
            and credit_can_pay(member)  # the credit is spent now, not when joining the waitlist
        )
        if not eligible:
            continue
        candidate.status = BookingStatus.BOOKED
        candidate.promoted_at = now
        candidate.save(update_fields=["status", "promoted_at"])
        credit_spend(booking=candidate, member=member)
        booking_reminder_set(booking=candidate, session=session, policy=policy, gym=gym)
        notify(
            member,
            "booking_promoted",
            session_notice_context(session, gym),
            dedupe_key=f"booking-promoted:{candidate.pk}",
        )
        promoted.append(candidate)
        if len(promoted) >= free:
            break
    return promoted


def booking_mark_attendance(
    *, booking: Booking, attended: bool, by, now: datetime | None = None
) -> Booking:
    """The instructor's roster: attended or no-show. A no-show gets the policy's penalties;
    correcting a no-show to attended waives them (recorded as such)."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _lock_session(booking.session_id)
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        if now < session.starts_at - ATTENDANCE_OPENS_BEFORE:
            raise ApplicationError(
                _("Attendance can be taken from 30 minutes before the class."),
                code="too_early",
            )
        markable = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
        if booking.status not in markable:
            raise ApplicationError(_("Only booked places can be marked."), code="not_markable")
        new = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
        if booking.status == new:
            return booking
        previous = booking.status
        booking.status = new
        booking.attendance_marked_at = now
        booking.attendance_marked_by = by
        booking.save(update_fields=["status", "attendance_marked_at", "attendance_marked_by"])
        if new == BookingStatus.ATTENDED:
            booking_attended.send(sender=Booking, member_id=booking.member_id, at=session.starts_at)
        if new == BookingStatus.NO_SHOW:
            _apply_penalties(booking, PenaltyReason.NO_SHOW, BookingPolicy.load(), now)
        elif previous == BookingStatus.NO_SHOW:
            no_show_corrected(Penalty.objects.filter(booking=booking), by=by, now=now)
            credit_spend_again(booking=booking)  # they came: the class used its credit
    return booking


_BOOKED_SESSION_NEAR = (
    f"SELECT b.id FROM {Booking._meta.db_table} b "  # noqa: S608
    f"JOIN {ClassSession._meta.db_table} s ON s.id = b.session_id "
    "WHERE b.member_id = %s AND b.status = %s AND s.status = %s "
    "AND s.starts_at >= %s AND s.starts_at <= %s ORDER BY s.starts_at LIMIT 1"
)


def booking_link_visit(*, member: Member, entered_at: datetime) -> Booking | None:
    """A kiosk check-in shortly before a class the member booked marks them attended.

    apps.attendance calls this for every granted entry: the booked session starting
    within [entered_at - 15 min, entered_at + 30 min] is marked attended. The upper bound
    is when the roster opens (ATTENDANCE_OPENS_BEFORE), so the mark is always allowed.
    """
    # Runs inside every granted door entry, where a booking is the exception: a plain
    # statement instead of an ORM query saves ~1 ms of CPU per scan (benchmarks/kiosk.py).
    with connection.cursor() as cursor:
        cursor.execute(
            _BOOKED_SESSION_NEAR,
            [
                member.pk,
                BookingStatus.BOOKED,
                SessionStatus.SCHEDULED,
                entered_at - timedelta(minutes=15),
                entered_at + ATTENDANCE_OPENS_BEFORE,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    booking = Booking.objects.get(pk=row[0])
    return booking_mark_attendance(
        booking=booking, attended=True, by=None, now=max(entered_at, timezone.now())
    )


# The rules a member reads before booking (the policy endpoint shows these).
MEMBER_POLICY_FIELDS = (
    "opens_days_before",
    "closes_minutes_before",
    "max_active_bookings",
    "max_per_day",
    "waitlist_closes_minutes_before",
    "late_cancel_minutes_before",
    "late_cancel_strike",
    "late_cancel_fee",
    "late_cancel_forfeits_credit",
    "no_show_strike",
    "no_show_fee",
    "no_show_forfeits_credit",
    "strikes_to_block",
    "strike_window_days",
    "block_days",
)
# Everything staff set on the policy page.
POLICY_FIELDS = (
    *MEMBER_POLICY_FIELDS,
    "reminder_minutes_before",
    "auto_mark_no_shows",
    "generate_weeks_ahead",
)


def policy_update(*, data: dict, by=None) -> BookingPolicy:
    """Change the gym's booking policy (validated values from the settings form)."""
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here."),
            code="invalid_fields",
            details={field: [_("Not allowed.")] for field in sorted(unknown)},
        )
    with transaction.atomic():
        policy = BookingPolicy.objects.select_for_update().get(pk=BookingPolicy.load().pk)
        lead = policy.reminder_minutes_before
        for field, value in data.items():
            setattr(policy, field, value)
        policy.full_clean()
        policy.save()
        if policy.reminder_minutes_before != lead:
            upcoming_reminders_sync(policy=policy)
    logger.info("Booking policy changed by %s: %s", getattr(by, "pk", None), sorted(data))
    return policy


def no_show_corrected(penalties, *, by, now: datetime) -> None:
    """A no-show corrected to attended (class or PT): its open no-show penalties are waived
    as such, and their fees taken back."""
    corrected = list(
        penalties.filter(reason=PenaltyReason.NO_SHOW, waived_at__isnull=True).select_related(
            "charge"
        )
    )
    Penalty.objects.filter(pk__in=[p.pk for p in corrected]).update(
        waived_at=now, waived_by=by, waiver_reason=str(_("Attendance corrected."))
    )
    for penalty in corrected:
        if penalty.charge is not None:
            charge_cancel(charge=penalty.charge, now=now)


def penalty_waive(*, penalty: Penalty, by, reason: str, now: datetime | None = None) -> Penalty:
    """Staff lift a penalty. Who, when and why stay on the row (the audit trail)."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ApplicationError(
            _("Give a reason for waiving the penalty."),
            code="reason_required",
            details={"reason": [_("This field is required.")]},
        )
    with transaction.atomic():
        booking = None
        if penalty.booking_id is not None:  # locks in the usual order: session, booking
            _lock_session(
                Booking.objects.values_list("session_id", flat=True).get(pk=penalty.booking_id)
            )
            booking = Booking.objects.select_for_update().get(pk=penalty.booking_id)
        penalty = Penalty.objects.select_for_update().get(pk=penalty.pk)
        if penalty.waived_at is not None:
            raise ApplicationError(_("This penalty was already waived."), code="already_waived")
        penalty.waived_at = now or timezone.now()
        penalty.waived_by = by
        penalty.waiver_reason = reason
        penalty.save(update_fields=["waived_at", "waived_by", "waiver_reason"])
        if penalty.kind == PenaltyKind.CREDIT_FORFEIT and booking is not None:
            credit_give_back(booking=booking, reason="penalty_waived")
        if penalty.charge_id is not None:
            charge_cancel(charge=penalty.charge, now=penalty.waived_at)
    logger.info("Penalty %s waived by %s: %s", penalty.pk, getattr(by, "pk", None), reason)
    return penalty


def no_shows_mark_due(*, now: datetime | None = None, grace: timedelta = timedelta(minutes=30)):
    """For gyms that opt in: bookings still `booked` after their class ended are no-shows.
    Each session is processed once (`no_shows_marked_at`)."""
    now = now or timezone.now()
    policy = BookingPolicy.load()
    if not policy.auto_mark_no_shows:
        return 0
    count = 0
    due = ClassSession.objects.filter(
        status=SessionStatus.SCHEDULED, ends_at__lte=now - grace, no_shows_marked_at__isnull=True
    ).values_list("id", flat=True)
    for session_id in list(due[:500]):
        with transaction.atomic():
            session = _lock_session(session_id)
            if session.no_shows_marked_at is not None:
                continue
            for booking in Booking.objects.filter(session=session, status=BookingStatus.BOOKED):
                booking.status = BookingStatus.NO_SHOW
                booking.attendance_marked_at = now
                booking.save(update_fields=["status", "attendance_marked_at"])
                _apply_penalties(booking, PenaltyReason.NO_SHOW, policy, now)
                count += 1
            session.no_shows_marked_at = now
            session.save(update_fields=["no_shows_marked_at"])
    return count


def waitlists_close_due(*, now: datetime | None = None) -> int:
    """Past the waitlist cutoff nobody is promoted any more: the entries still waiting are
    cancelled and their members told. Sessions are found by their waitlist counter (kept
    by the booking trigger, so the scan reads no booking), each locked like every other
    booking write; a second run finds nothing left to do."""
    now = now or timezone.now()
    policy = BookingPolicy.load()
    gym = current_gym()
    cutoff = now + timedelta(minutes=policy.waitlist_closes_minutes_before)
    due = ClassSession.objects.filter(waitlist_count__gt=0, starts_at__lte=cutoff).values_list(
        "id", flat=True
    )
    count = 0
    for session_id in list(due[:500]):
        with transaction.atomic():
            session = _lock_session(session_id)
            waiting = list(
                Booking.objects.filter(session=session, status=BookingStatus.WAITLISTED)
                .select_related("member")
                .order_by("id")
            )
            notice = session_notice_context(session, gym)
            for booking in waiting:
                booking.status = BookingStatus.CANCELLED
                booking.cancelled_at = now
                booking.save(update_fields=["status", "cancelled_at"])
                if session.status == SessionStatus.SCHEDULED and session.starts_at > now:
                    notify(
                        booking.member,
                        "waitlist_closed",
                        notice,
                        dedupe_key=f"waitlist-closed:{booking.pk}",
                    )
            count += len(waiting)
            timetable_changed()
    return count
