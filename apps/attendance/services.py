"""Writes for the door: passes, kiosks, the one access-rules service, check-outs.

Kiosk scans (WebSocket), front-desk check-ins (dashboard and API) and the automatic
checkout all come through here, and so does every broadcast to the occupancy dashboards.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.attendance import codes
from apps.attendance.hours import month_start, within_hours
from apps.attendance.models import (
    DeniedAttempt,
    DenyReason,
    DoorSettings,
    ExitMethod,
    Kiosk,
    KioskMode,
    MemberPass,
    ScanReceipt,
    Visit,
    VisitMethod,
)
from apps.attendance.selectors import (
    door_cache_clear,
    door_rules,
    door_settings_get,
    gym_hours_refresh,
    occupancy_count,
)
from apps.attendance.signals import visit_entered
from apps.audit.services import audit_record
from apps.billing.tiers import Tier
from apps.bookings.services import booking_link_visit
from apps.common.errors import ApplicationError
from apps.common.i18n import in_gym_language
from apps.common.realtime import broadcast_on_commit
from apps.members.models import Member, MemberStatus
from apps.tenants.opening_hours import validate_opening_hours

OCCUPANCY_GROUP = "occupancy"
# The channel layer of OCCUPANCY_GROUP's events (pub/sub: see settings.CHANNEL_LAYERS).
DOOR_LAYER = "door"
KIOSKS_GROUP = "kiosks"
# A kiosk may timestamp a buffered scan this far back; older ones count as now.
MAX_REPLAY_AGE = timedelta(hours=24)
ALLOWED_STATUSES = frozenset({MemberStatus.ACTIVE, MemberStatus.TRIAL})


def kiosk_group(kiosk_id: int) -> str:
    """Name (without schema) of the group that reaches one kiosk's sockets."""
    return f"kiosk.{kiosk_id}"


def _deny_messages() -> dict[str, str]:
    return {
        DenyReason.UNKNOWN_CODE: _("This code is not valid here."),
        DenyReason.EXPIRED_CODE: _("This code has expired. Open the app for a fresh one."),
        DenyReason.REVOKED_CODE: _("This card has been cancelled. Please see the front desk."),
        DenyReason.NOT_ACTIVE: _("The membership is not active. Please see the front desk."),
        DenyReason.PAYMENT_OVERDUE: _("A payment is overdue. Please see the front desk."),
        DenyReason.CLOSED: _("The gym is closed now."),
        DenyReason.ALREADY_INSIDE: _("Already checked in."),
        DenyReason.TIER_NOT_ALLOWED: _("The membership does not include this area or time."),
        DenyReason.FULL: _("The gym is full right now. Please try again in a few minutes."),
    }


# --- Settings ------------------------------------------------------------------------


def validate_tier_hours(value) -> None:
    if not isinstance(value, dict) or set(value) - set(Tier.values):
        raise ValidationError(_("Hours by tier must be keyed by tier."))
    for hours in value.values():
        validate_opening_hours(hours)


@transaction.atomic
def door_settings_update(*, data: dict, by: User | None = None) -> DoorSettings:
    door = DoorSettings.objects.select_for_update().filter(pk=1).first() or door_settings_get()
    for name, value in data.items():
        setattr(door, name, value)
    if "tier_hours" in data:
        try:
            validate_tier_hours(door.tier_hours)
        except ValidationError as exc:
            raise ApplicationError(
                exc.messages[0], code="validation_error", details={"tier_hours": exc.messages}
            ) from exc
    if door.very_busy_percent < door.busy_percent:
        raise ApplicationError(
            _("“Very busy” must start at or above “busy”."),
            code="validation_error",
            details={"very_busy_percent": [_("Must be at least the busy threshold.")]},
        )
    try:
        door.full_clean()
    except ValidationError as exc:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=exc.message_dict
        ) from exc
    door.save()
    schema = connection.schema_name
    door_cache_clear(schema)
    # Again once committed: a scan in another thread of this process may have cached the
    # old rules between the pop above and the commit.
    transaction.on_commit(lambda: door_cache_clear(schema))
    # Kiosks show the message and hours: push the new config to every connected one.
    broadcast_on_commit(KIOSKS_GROUP, "config.changed", {})
    return door


# --- Passes --------------------------------------------------------------------------


def pass_get_or_create(*, member: Member) -> MemberPass:
    found = MemberPass.objects.filter(member=member).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return MemberPass.objects.create(member=member, secret=secrets.token_hex(32))
    except IntegrityError:  # made at the same moment by another request
        return MemberPass.objects.get(member=member)


@transaction.atomic
def pass_issue_card(*, member: Member, by: User | None = None) -> str:
    """A new printed-card code; every earlier card of this member stops working."""
    door_pass = pass_get_or_create(member=member)
    door_pass = MemberPass.objects.select_for_update().get(pk=door_pass.pk)
    door_pass.card_serial += 1
    door_pass.card_issued_at = timezone.now()
    door_pass.card_revoked_at = None
    door_pass.save(update_fields=["card_serial", "card_issued_at", "card_revoked_at"])
    return codes.card_code(
        member_id=member.pk, secret=door_pass.secret, serial=door_pass.card_serial
    )


def pass_card_code(*, member: Member) -> str | None:
    """The member's current card code, to print again; None without an active card."""
    door_pass = MemberPass.objects.filter(member=member).first()
    if door_pass is None or not door_pass.has_active_card:
        return None
    return codes.card_code(
        member_id=member.pk, secret=door_pass.secret, serial=door_pass.card_serial
    )


@transaction.atomic
def pass_revoke_card(*, member: Member, by: User | None = None) -> None:
    updated = MemberPass.objects.filter(
        member=member, card_serial__gt=0, card_revoked_at__isnull=True
    ).update(card_revoked_at=timezone.now())
    if not updated:
        raise ApplicationError(_("This member has no active card."), code="no_card")


@transaction.atomic
def pass_reset(*, member: Member, by: User | None = None) -> None:
    """A new secret: every code shown or printed so far stops working (a lost phone).
    A printed card, if any, must be issued again."""
    door_pass = pass_get_or_create(member=member)
    MemberPass.objects.filter(pk=door_pass.pk).update(secret=secrets.token_hex(32))
    MemberPass.objects.filter(
        pk=door_pass.pk, card_serial__gt=0, card_revoked_at__isnull=True
    ).update(card_revoked_at=timezone.now())


# --- Kiosks --------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def kiosk_register(
    *, name: str, mode: str, allowed_tiers: list[str] | None = None, by: User | None = None
) -> tuple[Kiosk, str]:
    """A new kiosk and its token. The token is returned once and stored only hashed."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(
            _("Give the kiosk a name."), code="validation_error", details={"name": [_("Required.")]}
        )
    if mode not in KioskMode.values:
        raise ApplicationError(
            _("Unknown kiosk mode."), code="validation_error", details={"mode": KioskMode.values}
        )
    token = "kt_" + secrets.token_urlsafe(32)
    kiosk = Kiosk(
        name=name[:80],
        mode=mode,
        allowed_tiers=sorted(set(allowed_tiers or [])),
        token_hash=_hash_token(token),
        created_by=by,
    )
    try:
        kiosk.full_clean(exclude=["token_hash", "created_by"])
    except ValidationError as exc:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=exc.message_dict
        ) from exc
    kiosk.save()
    return kiosk, token


def kiosk_authenticate(*, token: str) -> Kiosk | None:
    """The active kiosk holding `token` in the current gym, or None."""
    if not isinstance(token, str) or not token.startswith("kt_") or len(token) > 100:
        return None
    return Kiosk.objects.filter(token_hash=_hash_token(token), revoked_at__isnull=True).first()


@transaction.atomic
def kiosk_revoke(*, kiosk: Kiosk, by: User | None = None) -> Kiosk:
    if kiosk.revoked_at is None:
        kiosk.revoked_at = timezone.now()
        kiosk.save(update_fields=["revoked_at"])
        # Connected sockets of this kiosk close themselves on this event.
        broadcast_on_commit(kiosk_group(kiosk.pk), "kiosk.revoked", {"id": kiosk.pk})
    return kiosk


def kiosk_seen(*, kiosk_id: int, at: datetime | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Kiosk._meta.db_table} SET last_seen_at = %s WHERE id = %s",  # noqa: S608
            [at or timezone.now(), kiosk_id],
        )


# --- The access rules ----------------------------------------------------------------


@dataclass
class ScanResult:
    granted: bool
    reason: str
    message: str
    direction: str = "in"  # "in" | "out"
    member: dict | None = None
    visits_this_month: int | None = None
    visit_id: int | None = None
    occupancy: int | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        return data


# The decision runs for every door event (50 a second at a busy chain's peak, on one
# socket process), so it reads and writes with a few hand-written statements: measured
# on this 2-core machine (benchmarks/kiosk.py), building the same queries with the ORM
# cost ~10 ms of CPU per scan, the statements below ~2 ms. The rules stay in Python.
def _columns(model, names: set[str]) -> tuple[str, ...]:
    # In the model's field order: Model.from_db maps values by that order.
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)


_MEMBER_COLUMNS = _columns(
    Member,
    {"id", "number", "first_name", "last_name", "photo", "tier", "status", "payment_overdue"},
)
_M = Member._meta.db_table
_P = MemberPass._meta.db_table
_V = Visit._meta.db_table
_D = DeniedAttempt._meta.db_table
_K = Kiosk._meta.db_table
_MEMBER_SELECT = ", ".join(f"m.{name}" for name in _MEMBER_COLUMNS)
# The member's row lock serialises every decision about this member: two scans at the
# same moment cannot both open a visit (the partial unique index backs this up).
_LOCK_BY_PASS = (
    f"SELECT {_MEMBER_SELECT}, p.secret, p.card_serial, p.card_revoked_at "  # noqa: S608
    f"FROM {_P} p JOIN {_M} m ON m.id = p.member_id WHERE p.member_id = %s FOR UPDATE OF m"
)
_LOCK_MEMBER = f"SELECT {_MEMBER_SELECT} FROM {_M} m WHERE m.id = %s FOR UPDATE"  # noqa: S608
# Run after the lock: a statement of its own sees what a scan that held the lock before
# committed (READ COMMITTED takes a new snapshot per statement).
_OPEN_VISIT = f"SELECT id, entered_at FROM {_V} WHERE member_id = %s AND exited_at IS NULL"  # noqa: S608
# The new visit, people inside and the member's visits this month in one round trip.
# The counts read the statement's snapshot, which does not hold the row being inserted:
# hence the + 1 (the visit is inside and within the month by construction).
_ENTER = (
    f"WITH new AS (INSERT INTO {_V} "  # noqa: S608
    "(member_id, entered_at, exited_at, method, exit_method, kiosk_id, checked_in_by_id) "
    "VALUES (%s, %s, NULL, %s, '', %s, %s) RETURNING id) "
    f"SELECT (SELECT id FROM new), (SELECT count(*) FROM {_V} WHERE exited_at IS NULL) + 1, "
    f"(SELECT count(*) FROM {_V} WHERE member_id = %s AND entered_at >= %s) + 1"
)
_EXIT = (
    f"UPDATE {_V} SET exited_at = GREATEST(%s, entered_at), exit_method = %s "  # noqa: S608
    f"WHERE id = %s RETURNING exited_at, (SELECT count(*) FROM {_V} WHERE exited_at IS NULL) - 1"
)
_DENY = (
    f"INSERT INTO {_D} (at, reason, member_id, kiosk_id, by_id, code_presented) "  # noqa: S608
    "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id"
)


def _fetch(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _member_from_row(row) -> Member:
    # Only these columns are loaded; any other field read later is fetched (deferred),
    # never a silent default.
    return Member.from_db(connection.alias, _MEMBER_COLUMNS, row[: len(_MEMBER_COLUMNS)])


def _member_card(member: Member) -> dict:
    return {
        "id": member.pk,
        "number": member.number,
        "name": member.full_name,
        "photo_url": member.photo.url if member.photo else None,
        "tier": member.tier,
    }


def _resolve_code(code: str, at: datetime) -> tuple[Member | None, str | None, str]:
    """(member, deny reason or None, method) for a presented code; locks the member."""
    parsed = codes.parse(code)
    if parsed is None:
        return None, DenyReason.UNKNOWN_CODE, VisitMethod.QR
    method = VisitMethod.CARD if parsed.kind == "card" else VisitMethod.QR
    row = _fetch(_LOCK_BY_PASS, [parsed.member_id])
    if row is None:
        return None, DenyReason.UNKNOWN_CODE, method
    member = _member_from_row(row)
    secret, card_serial, card_revoked_at = row[len(_MEMBER_COLUMNS) :]
    if parsed.kind == "card":
        if not codes.card_matches(parsed=parsed, secret=secret):
            return None, DenyReason.UNKNOWN_CODE, method
        if parsed.serial != card_serial or card_revoked_at is not None:
            return member, DenyReason.REVOKED_CODE, method
        return member, None, method
    age = codes.rotating_age(parsed=parsed, secret=secret, at=at)
    if age is None:
        return None, DenyReason.UNKNOWN_CODE, method
    if age > codes.GRACE_STEPS:
        return member, DenyReason.EXPIRED_CODE, method
    return member, None, method


def _member_rules(member: Member, at: datetime, kiosk: Kiosk | None, door: DoorSettings):
    if member.status not in ALLOWED_STATUSES:
        return DenyReason.NOT_ACTIVE
    if member.payment_overdue:
        return DenyReason.PAYMENT_OVERDUE
    if not within_hours(connection.tenant.opening_hours, at):
        return DenyReason.CLOSED
    if kiosk is not None and kiosk.allowed_tiers and member.tier not in kiosk.allowed_tiers:
        return DenyReason.TIER_NOT_ALLOWED
    tier_hours = (door.tier_hours or {}).get(member.tier)
    if tier_hours is not None and not within_hours(tier_hours, at):
        return DenyReason.TIER_NOT_ALLOWED
    return None


# While a kiosk scan runs, its dashboard events are collected here instead of being sent
# from the database thread at commit: the consumer answers the kiosk first, then sends
# them (the door waits for nobody's dashboard).
_deferred: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "attendance_deferred_events", default=None
)


def _announce(event: str, payload: dict) -> None:
    deferred = _deferred.get()
    if deferred is not None:
        deferred.append((OCCUPANCY_GROUP, event, payload))
    else:
        broadcast_on_commit(OCCUPANCY_GROUP, event, payload, layer=DOOR_LAYER)


def _deny(
    *,
    reason: str,
    member: Member | None,
    kiosk: Kiosk | None,
    by: User | None,
    code: str,
    at: datetime,
) -> ScanResult:
    (attempt_id,) = _fetch(
        _DENY,
        [
            at,
            reason,
            member.pk if member else None,
            kiosk.pk if kiosk else None,
            by.pk if by else None,
            (code or "")[:24],
        ],
    )
    result = ScanResult(
        granted=False,
        reason=reason,
        message=_deny_messages()[reason],
        member=_member_card(member) if member else None,
    )
    _announce(
        "visit.denied",
        {
            "id": attempt_id,
            "reason": reason,
            "message": result.message,
            "member": result.member,
            "kiosk": kiosk.name if kiosk else None,
            "at": at.isoformat(),
        },
    )
    return result


_LOCK_DOOR = f"SELECT id FROM {DoorSettings._meta.db_table} WHERE id = 1 FOR UPDATE"  # noqa: S608


def _full(capacity: int) -> str | None:
    """DenyReason.FULL when `capacity` people are inside. Entries of the gym queue on the
    settings row while the rule is on, so two people cannot take the last place at once
    (a capacity limit is usually a safety rule)."""
    _fetch(_LOCK_DOOR, [])
    return DenyReason.FULL if occupancy_count() >= capacity else None


def _exit(*, visit_id: int, member: Member, at: datetime, how: str, kiosk: Kiosk | None) -> int:
    """End the open visit `visit_id` of `member`; returns the people inside afterwards."""
    exited_at, count = _fetch(_EXIT, [at, how, visit_id])
    _announce(
        "visit.exited",
        {
            "id": visit_id,
            "member": _member_card(member),
            "kiosk": kiosk.name if kiosk else None,
            "how": how,
            "at": exited_at.isoformat(),
            "count": count,
        },
    )
    return count


def _decide(
    *,
    member: Member | None,
    code: str,
    kiosk: Kiosk | None,
    by: User | None,
    direction: str | None,
    at: datetime,
) -> ScanResult:
    door, _hours = door_rules()
    method = VisitMethod.DESK
    if member is None:
        member, reason, method = _resolve_code(code, at)  # locks the member's row
        if reason:
            return _deny(reason=reason, member=member, kiosk=kiosk, by=by, code=code, at=at)
    else:
        row = _fetch(_LOCK_MEMBER, [member.pk])
        if row is None:
            raise ApplicationError(_("This member no longer exists."), code="not_found")
        member = _member_from_row(row)
    open_visit = _fetch(_OPEN_VISIT, [member.pk])  # (id, entered_at) or None
    open_id = open_visit[0] if open_visit else None

    mode = kiosk.mode if kiosk else KioskMode.ENTRY
    if mode == KioskMode.EXIT or (mode == KioskMode.BOTH and direction == "out"):
        wants_out = True
    elif mode == KioskMode.BOTH and direction != "in":
        wants_out = open_visit is not None  # one door, both ways: the scan toggles
    else:
        wants_out = False

    if wants_out:
        # Never keep anyone in: an exit is always granted.
        if open_id is not None:
            how = ExitMethod.KIOSK if kiosk else ExitMethod.DESK
            count = _exit(visit_id=open_id, member=member, at=at, how=how, kiosk=kiosk)
        else:
            count = occupancy_count()
        return ScanResult(
            granted=True,
            reason="exit",
            message=_("Goodbye!"),
            direction="out",
            member=_member_card(member),
            visit_id=open_id,
            occupancy=count,
        )

    reason = _member_rules(member, at, kiosk, door)
    if reason is None and open_visit is not None and door.anti_passback:
        reason = DenyReason.ALREADY_INSIDE
    if reason is None and open_visit is None and door.refuse_when_full and door.capacity:
        reason = _full(door.capacity)
    if reason:
        return _deny(reason=reason, member=member, kiosk=kiosk, by=by, code=code, at=at)
    if open_id is not None:
        # Anti-passback off: the earlier visit ends where the new one starts.
        _exit(visit_id=open_id, member=member, at=at, how=ExitMethod.REENTRY, kiosk=kiosk)
    visit_id, count, month = _fetch(
        _ENTER,
        [
            member.pk,
            at,
            method,
            kiosk.pk if kiosk else None,
            by.pk if by else None,
            member.pk,
            month_start(at),
        ],
    )
    # Coming in for a booked class is the attendance mark (one indexed query otherwise).
    booking_link_visit(member=member, entered_at=at)
    visit_entered.send(sender=Visit, member_id=member.pk, at=at)
    result = ScanResult(
        granted=True,
        reason="granted",
        message=_("Welcome, %(name)s!") % {"name": member.first_name},
        member=_member_card(member),
        visits_this_month=month,
        visit_id=visit_id,
        occupancy=count,
    )
    _announce(
        "visit.entered",
        {
            "id": visit_id,
            "member": result.member,
            "kiosk": kiosk.name if kiosk else None,
            "method": method,
            "at": at.isoformat(),
            "count": count,
        },
    )
    return result


def _scan_time(client_ts, now: datetime) -> datetime:
    """When the scan happened: the kiosk's timestamp for a buffered scan, within reason."""
    if not client_ts:
        return now
    try:
        moment = datetime.fromisoformat(str(client_ts).replace("Z", "+00:00"))
    except ValueError:
        return now
    if timezone.is_naive(moment):
        return now
    if moment > now or moment < now - MAX_REPLAY_AGE:
        return now
    return moment


def check_in(
    *,
    code: str = "",
    member: Member | None = None,
    kiosk: Kiosk | None = None,
    by: User | None = None,
    idempotency_key: str | None = None,
    client_ts=None,
    direction: str | None = None,
) -> dict:
    """Decide one door event and record it (a Visit or a DeniedAttempt); return the
    answer for the kiosk or front desk. With a kiosk and an idempotency key, a replayed
    scan gets the first answer back and counts once."""
    now = timezone.now()
    at = _scan_time(client_ts, now) if kiosk is not None else now
    keyed = kiosk is not None and bool(idempotency_key)
    deferred = _deferred.get()
    mark = len(deferred) if deferred is not None else 0
    try:
        with transaction.atomic():
            result = _decide(
                member=member, code=code, kiosk=kiosk, by=by, direction=direction, at=at
            )
            answer = {**result.as_dict(), "replayed": False}
            # The receipt is written last, in the same transaction: a scan with the same
            # key that ran first (committed, or committing: the insert waits for it) wins,
            # and this one's decision is rolled back.
            if keyed and not _receipt_insert(kiosk=kiosk, key=idempotency_key, answer=answer):
                raise _Replayed
            if kiosk is not None and (
                kiosk.last_seen_at is None or now - kiosk.last_seen_at > timedelta(seconds=30)
            ):
                kiosk_seen(kiosk_id=kiosk.pk, at=now)
    except _Replayed:
        if deferred is not None:
            del deferred[mark:]  # its events were rolled back with it
        previous = ScanReceipt.objects.get(kiosk=kiosk, key=idempotency_key)
        return {**previous.result, "replayed": True}
    return answer


class _Replayed(Exception):
    """Raised inside the transaction to roll back a replayed scan's decision."""


def _receipt_insert(*, kiosk: Kiosk, key: str, answer: dict) -> bool:
    """Store the answer under the kiosk's key; False if the key was used already."""
    table = ScanReceipt._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kiosk_id, key, result, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (kiosk_id, key) DO NOTHING RETURNING id",
            [kiosk.pk, key, json.dumps(answer), timezone.now()],
        )
        return cursor.fetchone() is not None


def kiosk_scan(*, kiosk_id: int, **scan) -> tuple[dict, list] | None:
    """A scan from a connected kiosk: (answer, dashboard events to send now that it is
    committed), or None if the kiosk has been revoked meanwhile (read fresh on every scan:
    a revocation event on the channel layer may be lost)."""
    kiosk = _active_kiosk(kiosk_id)
    if kiosk is None:
        return None
    gym_hours_refresh()
    events: list = []
    token = _deferred.set(events)
    try:
        # Messages for the people at the door: in the gym's language.
        with in_gym_language():
            answer = check_in(kiosk=kiosk, **scan)
    finally:
        _deferred.reset(token)
    return answer, events


_KIOSK_COLUMNS = _columns(Kiosk, {"id", "name", "mode", "allowed_tiers", "last_seen_at"})
_ACTIVE_KIOSK = (
    f"SELECT {', '.join(_KIOSK_COLUMNS)} FROM {Kiosk._meta.db_table} "  # noqa: S608
    "WHERE id = %s AND revoked_at IS NULL"
)


def _active_kiosk(kiosk_id: int) -> Kiosk | None:
    row = _fetch(_ACTIVE_KIOSK, [kiosk_id])
    return Kiosk.from_db(connection.alias, _KIOSK_COLUMNS, row) if row else None


@transaction.atomic
def visit_check_out(*, visit: Visit, by: User | None = None) -> Visit:
    visit = Visit.objects.select_for_update().select_related("member").get(pk=visit.pk)
    if visit.exited_at is not None:
        raise ApplicationError(_("This visit has already ended."), code="already_checked_out")
    _exit(
        visit_id=visit.pk, member=visit.member, at=timezone.now(), how=ExitMethod.DESK, kiosk=None
    )
    visit.refresh_from_db(fields=["exited_at", "exit_method"])
    return visit


def visits_auto_checkout(*, now: datetime | None = None) -> int:
    """Close visits open longer than the gym's automatic-checkout hours (current schema).
    Idempotent: a second run finds nothing left to close."""
    now = now or timezone.now()
    door = door_settings_get()
    cutoff = now - timedelta(hours=door.auto_checkout_hours)
    closed = 0
    stale = Visit.objects.filter(exited_at__isnull=True, entered_at__lt=cutoff).values_list(
        "pk", flat=True
    )
    for visit_id in list(stale[:5000]):
        with transaction.atomic():
            visit = (
                Visit.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("member")
                .filter(pk=visit_id, exited_at__isnull=True)
                .first()
            )
            if visit is None:
                continue
            # The visit ends when the automatic checkout says it could have ended at the
            # latest, so a forgotten exit does not stretch the occupancy history.
            _exit(
                visit_id=visit.pk,
                member=visit.member,
                at=visit.entered_at + timedelta(hours=door.auto_checkout_hours),
                how=ExitMethod.AUTO,
                kiosk=None,
            )
            closed += 1
    # Receipts only guard replays of a kiosk's offline buffer; a week is plenty.
    ScanReceipt.objects.filter(created_at__lt=now - timedelta(days=7)).delete()
    return closed


# A refusal can be overridden while the person is plausibly still at the desk.
OVERRIDE_WINDOW = timedelta(hours=2)


def refusal_override(
    *, attempt: DeniedAttempt, by: User, reason: str, request_id: str = ""
) -> Visit:
    """ "Let in anyway": turn a refusal into a visit, with the reason, on the visit and in
    the audit trail. A second submit for the same refusal returns the same visit."""
    if not by.has_perm("attendance.override_refusal"):
        raise ApplicationError(
            _("You may not let refused members in."), code="permission_denied", status_code=403
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ApplicationError(
            _("Say why you let them in."),
            code="reason_required",
            details={"reason": [_("This field is required.")]},
        )
    if len(reason) > 300:
        raise ApplicationError(
            _("Keep the reason under 300 characters."),
            code="reason_too_long",
            details={"reason": [_("Keep the reason under 300 characters.")]},
        )
    with transaction.atomic():
        attempt = DeniedAttempt.objects.select_for_update().get(pk=attempt.pk)
        existing = Visit.objects.filter(override_of=attempt).first()
        if existing is not None:
            return existing
        if attempt.member_id is None:
            raise ApplicationError(_("This refusal has no member to let in."), code="no_member")
        now = timezone.now()
        if now - attempt.at > OVERRIDE_WINDOW:
            raise ApplicationError(
                _("This refusal is too old to override; check the member in instead."),
                code="refusal_too_old",
            )
        row = _fetch(_LOCK_MEMBER, [attempt.member_id])
        member = _member_from_row(row)
        open_visit = _fetch(_OPEN_VISIT, [member.pk])
        if open_visit is not None:
            _exit(visit_id=open_visit[0], member=member, at=now, how=ExitMethod.REENTRY, kiosk=None)
        visit = Visit.objects.create(
            member=member,
            entered_at=now,
            method=VisitMethod.DESK,
            checked_in_by=by,
            override_of=attempt,
            override_reason=reason,
        )
        booking_link_visit(member=member, entered_at=now)
        audit_record(
            actor=by,
            action="attendance.refusal_overridden",
            target=visit,
            reason=reason,
            changes={"refusal": attempt.pk, "refusal_reason": attempt.reason},
            request_id=request_id,
        )
        _announce(
            "visit.entered",
            {
                "id": visit.pk,
                "member": _member_card(member),
                "kiosk": None,
                "method": VisitMethod.DESK,
                "at": now.isoformat(),
                "count": occupancy_count(),
            },
        )
    return visit
