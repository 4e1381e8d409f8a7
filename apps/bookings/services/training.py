"""Personal training: free slots from a trainer's weekly hours minus time off and what is
already booked; requests (confirmed by the trainer, or automatically), decisions and
cancellations under the same booking policy as classes (window, strikes, blocks, late
cancel penalties).

Two requests for the same trainer's time are serialised by locking the trainer's row,
then checking for overlaps: the second one sees the first and is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.entitlements import entitlements
from apps.bookings.models import (
    PT_HOLDING,
    WEEKDAY_CHOICES,
    BookingPolicy,
    Penalty,
    PenaltyKind,
    PenaltyReason,
    PTBooking,
    PTSessionType,
    PTStatus,
    TrainerAvailability,
    TrainerProfile,
)
from apps.bookings.policy import BOOKABLE_MEMBER_STATUSES, blocked_until, gym_zone
from apps.bookings.selectors import current_gym, trainer_busy_times
from apps.bookings.services.booking import fees_charge, no_show_corrected
from apps.common.errors import ApplicationError
from apps.members.models import Member
from apps.notifications.services import notify


def _fits_hours(trainer, starts_at: datetime, ends_at: datetime, zone) -> bool:
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    if local_start.date() != local_end.date() and local_end.time() != datetime.min.time():
        return False
    return TrainerAvailability.objects.filter(
        trainer=trainer,
        weekday=local_start.weekday(),
        start_time__lte=local_start.time(),
        end_time__gte=local_end.time(),
    ).exists()


def pt_request(
    *,
    member: Member,
    session_type: PTSessionType,
    starts_at: datetime,
    note: str = "",
    now: datetime | None = None,
) -> PTBooking:
    """Ask for a 1:1 session. Auto-confirmed session types are confirmed at once;
    otherwise the trainer is emailed to confirm or decline."""
    now = now or timezone.now()
    gym = current_gym()
    zone = gym_zone(gym)
    if timezone.is_naive(starts_at):
        raise ApplicationError(_("Give the time with its UTC offset."), code="invalid_time")
    ends_at = starts_at + timedelta(minutes=session_type.duration_minutes)
    with transaction.atomic():
        trainer = TrainerProfile.objects.select_for_update().get(pk=session_type.trainer_id)
        member = Member.objects.select_for_update().get(pk=member.pk)
        policy = BookingPolicy.load()
        problems = []
        if not session_type.is_active or not trainer.is_active:
            problems.append(("unavailable", _("This trainer does not take bookings now.")))
        if member.status not in BOOKABLE_MEMBER_STATUSES:
            problems.append(
                ("membership_inactive", _("Your membership is not active, so you cannot book."))
            )
        if not entitlements(member=member, gym=gym).personal_training:
            problems.append(
                ("tier_required", _("Personal training is not part of your membership."))
            )
        if starts_at <= now + timedelta(minutes=policy.closes_minutes_before):
            problems.append(("window_closed", _("This time can no longer be booked.")))
        if starts_at > now + timedelta(days=policy.opens_days_before):
            problems.append(
                (
                    "window_not_open",
                    _("Booking opens %(days)s days before.") % {"days": policy.opens_days_before},
                )
            )
        if blocked_until(member=member, policy=policy, now=now) is not None:
            problems.append(
                ("blocked", _("Booking is blocked after repeated late cancels or no-shows."))
            )
        if not _fits_hours(trainer, starts_at, ends_at, zone):
            problems.append(("outside_hours", _("The trainer does not work at this time.")))
        elif trainer_busy_times(trainer, starts_at, ends_at):
            problems.append(("slot_taken", _("This time is no longer free.")))
        if problems:
            raise ApplicationError(
                problems[0][1],
                code=problems[0][0],
                details={"problems": [{"code": c, "message": m} for c, m in problems]},
                status_code=409,
            )
        booking = PTBooking.objects.create(
            member=member,
            trainer=trainer,
            session_type=session_type,
            starts_at=starts_at,
            ends_at=ends_at,
            price=session_type.price,
            note=" ".join((note or "").split())[:500],
            status=PTStatus.CONFIRMED if session_type.auto_confirm else PTStatus.REQUESTED,
            decided_at=now if session_type.auto_confirm else None,
        )
    context = _context(booking, zone)
    if booking.status == PTStatus.CONFIRMED:
        notify(member, "pt_confirmed", context, dedupe_key=f"pt-confirmed:{booking.pk}")
    else:
        notify(trainer.user, "pt_requested", context, dedupe_key=f"pt-requested:{booking.pk}")
    return booking


def _context(booking: PTBooking, zone) -> dict:
    return {
        "booking": booking,
        "trainer_name": booking.trainer.display_name,
        "member_name": booking.member.full_name,
        "type_name": booking.session_type.name,
        "starts_local": booking.starts_at.astimezone(zone).replace(tzinfo=None),
    }


def pt_decide(*, booking: PTBooking, confirm: bool, by, now: datetime | None = None) -> PTBooking:
    """The trainer (or a manager) confirms or declines a request; the member is told."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            PTBooking.objects.select_for_update()
            .select_related("member", "trainer", "session_type")
            .get(pk=booking.pk)
        )
        if booking.status != PTStatus.REQUESTED:
            raise ApplicationError(_("This request was already answered."), code="not_pending")
        booking.status = PTStatus.CONFIRMED if confirm else PTStatus.DECLINED
        booking.decided_at, booking.decided_by = now, by
        booking.save(update_fields=["status", "decided_at", "decided_by"])
        context = _context(booking, gym_zone(current_gym()))
        kind = "pt_confirmed" if confirm else "pt_declined"
        notify(booking.member, kind, context, dedupe_key=f"{kind}:{booking.pk}")
    return booking


def pt_cancel(*, booking: PTBooking, by=None, now: datetime | None = None) -> PTBooking:
    """Cancel a requested or confirmed session. A confirmed one cancelled by the member
    within the late-cancel window gets the policy's late-cancel penalties."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            PTBooking.objects.select_for_update().select_related("trainer__user").get(pk=booking.pk)
        )
        if booking.status not in PT_HOLDING:
            raise ApplicationError(
                _("This booking is not active."), code="not_active", status_code=409
            )
        if booking.starts_at <= now:
            raise ApplicationError(
                _("This session has already started."), code="session_started", status_code=409
            )
        policy = BookingPolicy.load()
        by_member = by is None or getattr(by, "pk", None) == booking.member.user_id
        late = (
            by_member
            and booking.status == PTStatus.CONFIRMED
            and now >= booking.starts_at - timedelta(minutes=policy.late_cancel_minutes_before)
        )
        booking.status = PTStatus.LATE_CANCELLED if late else PTStatus.CANCELLED
        booking.cancelled_at = now
        booking.save(update_fields=["status", "cancelled_at"])
        if late:
            _pt_penalties(booking, PenaltyReason.LATE_CANCEL, policy, now)
        context = _context(booking, gym_zone(current_gym()))
        notify(
            booking.trainer.user if by_member else booking.member,
            "pt_cancelled",
            context,
            dedupe_key=f"pt-cancelled:{booking.pk}",
        )
    return booking


def _pt_penalties(booking: PTBooking, reason: str, policy: BookingPolicy, now) -> None:
    """The policy's strike and fee for a late cancel or no-show of a PT session (PT has
    its own price: no class credit is involved)."""
    strike, fee, _credit = policy.consequences(reason)
    kinds = [(PenaltyKind.STRIKE, 0)] if strike else []
    kinds += [(PenaltyKind.FEE, fee)] if fee else []
    penalties = Penalty.objects.bulk_create(
        Penalty(
            kind=kind,
            amount=amount,
            member=booking.member,
            pt_booking=booking,
            reason=reason,
            created_at=now,
        )
        for kind, amount in kinds
    )
    fees_charge(penalties, booking.starts_at, trainer=booking.trainer.display_name)


def pt_mark_attendance(
    *, booking: PTBooking, attended: bool, by, now: datetime | None = None
) -> PTBooking:
    """The trainer marks a confirmed session attended or a no-show, once it has started.
    A no-show gets the policy's no-show penalties (strike, fee), as for classes; correcting
    a no-show to attended waives them ("Attendance corrected.")."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = PTBooking.objects.select_for_update().get(pk=booking.pk)
        if booking.status not in (PTStatus.CONFIRMED, PTStatus.ATTENDED, PTStatus.NO_SHOW):
            raise ApplicationError(
                _("Only confirmed sessions can be marked."), code="not_markable", status_code=409
            )
        if now < booking.starts_at:
            raise ApplicationError(
                _("Attendance can be marked once the session has started."),
                code="too_early",
                status_code=409,
            )
        new = PTStatus.ATTENDED if attended else PTStatus.NO_SHOW
        if booking.status == new:
            return booking
        previous = booking.status
        booking.status = new
        booking.attendance_marked_at, booking.attendance_marked_by = now, by
        booking.save(update_fields=["status", "attendance_marked_at", "attendance_marked_by"])
        if new == PTStatus.NO_SHOW:
            _pt_penalties(booking, PenaltyReason.NO_SHOW, BookingPolicy.load(), now)
        elif previous == PTStatus.NO_SHOW:
            no_show_corrected(Penalty.objects.filter(pt_booking=booking), by=by, now=now)
    return booking


MAX_WEEKLY_HOURS_ROWS = 50


def trainer_hours_set(*, trainer: TrainerProfile, hours: list[tuple[int, object, object]]):
    """Replace a trainer's weekly hours (weekday 0-6, from, until; gym's local time) with
    `hours`. All or nothing: a row ending before it starts, or two rows overlapping on one
    day, refuse the whole change with the rows named. Booked sessions stay as they are
    (hours only decide which new slots are offered)."""
    if len(hours) > MAX_WEEKLY_HOURS_ROWS:
        raise ApplicationError(
            _("At most %(n)s rows.") % {"n": MAX_WEEKLY_HOURS_ROWS}, code="too_many_rows"
        )
    problems = []
    days = dict(WEEKDAY_CHOICES)
    ordered = sorted(hours, key=lambda row: (row[0], row[1]))
    for weekday, start, end in ordered:
        if weekday not in days:
            problems.append(_("Unknown day."))
        elif end <= start:
            problems.append(
                _("%(day)s %(start)s: it ends before it starts.")
                % {"day": days[weekday], "start": f"{start:%H:%M}"}
            )
    for (day_a, start_a, end_a), (day_b, start_b, end_b) in pairwise(ordered):
        if day_a == day_b and start_b < end_a and day_a in days:
            problems.append(
                _("%(day)s: %(a)s and %(b)s overlap.")
                % {
                    "day": days[day_a],
                    "a": f"{start_a:%H:%M}-{end_a:%H:%M}",
                    "b": f"{start_b:%H:%M}-{end_b:%H:%M}",
                }
            )
    if problems:
        raise ApplicationError(
            problems[0], code="invalid_hours", details={"hours": [str(p) for p in problems]}
        )
    with transaction.atomic():
        TrainerProfile.objects.select_for_update().get(pk=trainer.pk)  # like PT requests
        TrainerAvailability.objects.filter(trainer=trainer).delete()
        TrainerAvailability.objects.bulk_create(
            TrainerAvailability(trainer=trainer, weekday=d, start_time=s, end_time=e)
            for d, s, e in ordered
        )
    return list(TrainerAvailability.objects.filter(trainer=trainer))
