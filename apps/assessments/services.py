"""Writes on assessments: submitting a clip (checks, quotas, storage), lifting blocks,
recording what the pipeline found, re-scoring. Realtime events and task queueing happen
here, after commit."""

from __future__ import annotations

import logging
import os
import tempfile
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.assessments import gates, scoring, selectors, video
from apps.assessments.catalogue import CATALOGUE_VERSION, spec_for, tier_includes
from apps.assessments.models import (
    Attempt,
    AttemptStatus,
    AuditEvent,
    BlockReason,
    QuotaBlock,
)
from apps.assessments.reasons import reason_text
from apps.assessments.track import Track
from apps.billing.entitlements import entitlements
from apps.common.errors import ApplicationError
from apps.common.queue import enqueue_on_commit
from apps.common.realtime import broadcast_on_commit
from apps.members.models import Member
from apps.notifications.kinds import SKIP, register_resolver
from apps.notifications.services import reminder_set

logger = logging.getLogger(__name__)

MIN_SECONDS = 2.0
HOURLY_LIMIT = 5  # attempts per hour, every tier
ABUSE_PER_DAY = 50  # submissions (accepted or refused) in one day -> 7-day block
DAILY_CAP_BLOCK = timedelta(hours=24)
ABUSE_BLOCK = timedelta(days=7)
MAX_RUNS = 3  # processing starts per attempt, redeliveries included


def user_group(user_id: int) -> str:
    """The realtime group of one user's sockets (the schema is added by tenant_group)."""
    return f"assessments.user.{user_id}"


def _gym():
    return connection.tenant


def _local_starts(now: datetime) -> tuple[datetime, datetime]:
    """Start of today and of this month in the gym's time zone."""
    tz = zoneinfo.ZoneInfo(getattr(_gym(), "time_zone", "UTC") or "UTC")
    local = now.astimezone(tz)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


def _video_error(code: str, status: int = 400, **details) -> ApplicationError:
    message, hint = reason_text(code)
    return ApplicationError(
        message, code=code, status_code=status, details={"hint": hint, **details}
    )


def _audit(event: str, *, member=None, attempt=None, actor=None, **data) -> AuditEvent:
    return AuditEvent.objects.create(
        event=event,
        member=member,
        attempt=attempt,
        actor=actor if getattr(actor, "pk", None) else None,
        data=data,
    )


# --- Submitting --------------------------------------------------------------------------


@dataclass
class _Refusal:
    code: str
    message: str
    details: dict


def _block(member: Member, reason: str, until, message: str) -> _Refusal:
    """Block the member's submissions until `until` (audited) and say so."""
    block = QuotaBlock.objects.create(member=member, reason=reason, until=until)
    _audit(AuditEvent.BLOCKED, member=member, reason=block.reason, until=block.until.isoformat())
    return _Refusal(
        "submissions_blocked", message, {"reason": block.reason, "until": block.until.isoformat()}
    )


def _quota_refusal(*, member: Member, test_id: int, now: datetime) -> _Refusal | None:
    """Decide (with the member row locked) whether one more submission is allowed; create
    a block when a limit that blocks is crossed. Returns the refusal, or None."""
    ent = entitlements(member=member, gym=_gym())
    day_start, month_start = _local_starts(now)
    block = (
        QuotaBlock.objects.filter(member=member, lifted_at__isnull=True, until__gt=now)
        .order_by("-until")
        .first()
    )
    if block is not None:
        return _Refusal(
            "submissions_blocked",
            _("You cannot submit new clips until %(until)s: %(reason)s.")
            % {
                "until": timezone.localtime(block.until).strftime("%Y-%m-%d %H:%M"),
                "reason": block.get_reason_display(),
            },
            {"reason": block.reason, "until": block.until.isoformat()},
        )
    # Failed runs are our fault and never count; invalid clips (the member's) do.
    counted = Attempt.objects.filter(member=member).exclude(status=AttemptStatus.FAILED)
    # Staff who lift a block today give the member a fresh day from that moment.
    lifted = (
        QuotaBlock.objects.filter(member=member, lifted_at__gte=day_start)
        .order_by("-lifted_at")
        .values_list("lifted_at", flat=True)
        .first()
    )
    since = max(day_start, lifted) if lifted else day_start
    today = counted.filter(created_at__gte=since).count()
    refused_today = AuditEvent.objects.filter(
        member=member, event=AuditEvent.SUBMISSION_REFUSED, created_at__gte=since
    ).count()
    if today + refused_today + 1 > ABUSE_PER_DAY:
        return _block(
            member,
            BlockReason.ABUSE,
            now + ABUSE_BLOCK,
            _("Too many submissions today: new clips are blocked for 7 days."),
        )
    if today >= ent.assessment_daily_cap:
        return _block(
            member,
            BlockReason.DAILY_CAP,
            now + DAILY_CAP_BLOCK,
            _("You reached today's limit of %(cap)d clips: new clips are blocked for 24 hours.")
            % {"cap": ent.assessment_daily_cap},
        )
    month_tests = set(counted.filter(created_at__gte=month_start).values_list("test_id", flat=True))
    if test_id not in month_tests and len(month_tests) >= ent.assessment_tests_per_month:
        return _Refusal(
            "monthly_test_limit",
            _("Your plan includes %(n)d different tests a month, and you have used them.")
            % {"n": ent.assessment_tests_per_month},
            {"limit": ent.assessment_tests_per_month, "tests": sorted(month_tests)},
        )
    per_test = counted.filter(created_at__gte=day_start, test_id=test_id).count()
    if per_test >= ent.assessment_attempts_per_test_per_day:
        return _Refusal(
            "test_daily_limit",
            _("You can record this test %(n)d times a day. Try again tomorrow.")
            % {"n": ent.assessment_attempts_per_test_per_day},
            {"limit": ent.assessment_attempts_per_test_per_day},
        )
    if counted.filter(created_at__gte=now - timedelta(hours=1)).count() >= HOURLY_LIMIT:
        return _Refusal(
            "hourly_limit",
            _("You can submit %(n)d clips an hour. Try again a little later.")
            % {"n": HOURLY_LIMIT},
            {"limit": HOURLY_LIMIT},
        )
    return None


def _local_copy(upload) -> tuple[str, bool]:
    """A path OpenCV can open: the upload's own temporary file, or a copy of a small
    in-memory upload. Returns (path, is_our_copy)."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path(), False
    fd, path = tempfile.mkstemp(prefix="assessment-", suffix=".upload")
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path, True


def attempt_submit(*, member: Member, test_id: int, upload, by=None) -> Attempt:
    """Check the clip and the member's quotas, store the clip, queue the pipeline.

    A refused clip stores nothing (a refused submission is only counted, for the abuse
    limit). Quotas are counted with the member's row locked, so parallel uploads cannot
    both take the last slot.
    """
    spec = spec_for(test_id)
    if spec is None:
        raise ApplicationError(_("Unknown test."), code="unknown_test", status_code=404)
    if not tier_includes(test_id, member.tier):
        raise ApplicationError(
            _("This test is not included in your plan."), code="test_not_in_plan", status_code=403
        )
    if upload is None or not upload.size:
        raise _video_error("not_a_video")
    if upload.size > settings.ASSESSMENT_MAX_UPLOAD_BYTES:
        raise _video_error("too_large", status=413, max_bytes=settings.ASSESSMENT_MAX_UPLOAD_BYTES)
    path, ours = _local_copy(upload)
    try:
        try:
            info = video.probe(path)
        except video.VideoError as exc:
            raise _video_error(exc.code) from exc
        limit = min(settings.ASSESSMENT_MAX_SECONDS, spec.max_seconds)
        if info.duration_s > limit + 0.5:
            raise _video_error("too_long", max_seconds=limit, seconds=round(info.duration_s, 1))
        if info.duration_s < MIN_SECONDS:
            raise _video_error("too_short", min_seconds=MIN_SECONDS)
        return _store(member=member, spec=spec, path=path, info=info, by=by)
    finally:
        if ours:
            os.unlink(path)


def _store(*, member, spec, path, info, by) -> Attempt:
    refusal = None
    attempt = None
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        now = timezone.now()
        refusal = _quota_refusal(member=locked, test_id=spec.id, now=now)
        if refusal is not None:
            # Kept (the transaction commits): refusals count toward the abuse limit.
            _audit(
                AuditEvent.SUBMISSION_REFUSED,
                member=locked,
                actor=by,
                code=refusal.code,
                test_id=spec.id,
            )
        else:
            attempt = Attempt(
                member=locked,
                test_id=spec.id,
                catalogue_version=CATALOGUE_VERSION,
                video_info=info.as_dict(),
                submitted_by=by if getattr(by, "pk", None) else None,
                created_at=now,
            )
            with open(path, "rb") as fh:
                attempt.video.save("clip", File(fh), save=False)
            try:
                attempt.save()
            except Exception:
                attempt.video.delete(save=False)
                raise
            _broadcast(attempt)  # "queued" goes out before the task can report progress
            _queue_pipeline(attempt.pk)
    if refusal is not None:
        raise ApplicationError(
            refusal.message, code=refusal.code, status_code=429, details=refusal.details
        )
    return attempt


def _broadcast(attempt: Attempt) -> None:
    user_id = attempt.member.user_id
    if user_id:
        broadcast_on_commit(
            user_group(user_id),
            "assessment.status",
            {
                "id": attempt.pk,
                "test_id": attempt.test_id,
                "status": attempt.status,
                "bucket": attempt.bucket,
                "reason_code": attempt.reason_code,
            },
        )


# --- Blocks ------------------------------------------------------------------------------


def block_lift(*, block: QuotaBlock, by) -> QuotaBlock:
    with transaction.atomic():
        block = QuotaBlock.objects.select_for_update().get(pk=block.pk)
        if block.lifted_at is None:
            block.lifted_at = timezone.now()
            block.lifted_by = by
            block.save(update_fields=["lifted_at", "lifted_by"])
            _audit(AuditEvent.BLOCK_LIFTED, member=block.member, actor=by, block=block.pk)
    return block


# --- Pipeline ----------------------------------------------------------------------------


def _queue_pipeline(attempt_id: int) -> None:
    # After commit; with the broker down the attempt stays queued and
    # `attempts_requeue_waiting` queues it again.
    enqueue_on_commit("apps.assessments.tasks.process_attempt", attempt_id)


# A run still `processing` this long after it started is dead (the task's hard time limit
# is 5 minutes): its worker was killed and its message lost with the broker or a restart.
PROCESSING_STALE_AFTER = timedelta(minutes=10)


def attempts_requeue_waiting(*, older_than_minutes: int = 30) -> int:
    """Queue again the attempts whose work never started or died; returns how many.

    - still `queued` this long after upload (the broker was down when they were queued,
      or the message was lost); the wait lets a normal backlog drain first;
    - `processing` for longer than PROCESSING_STALE_AFTER (the worker was killed and the
      message is gone: `make run` once left one `processing` forever).
    `attempt_claim` lets exactly one message run an attempt, so a clip queued twice is
    still measured once."""
    now = timezone.now()
    waiting = list(
        Attempt.objects.filter(
            Q(
                status=AttemptStatus.QUEUED,
                created_at__lt=now - timedelta(minutes=older_than_minutes),
            )
            | Q(status=AttemptStatus.PROCESSING, started_at__lt=now - PROCESSING_STALE_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
    for attempt_id in waiting:
        _queue_pipeline(attempt_id)
    return len(waiting)


def attempt_claim(*, attempt_id: int, task_id: str = "") -> Attempt | None:
    """Mark the attempt processing for the task message `task_id`; None if it is gone,
    already finished, or being processed by another live message (a duplicate then does
    nothing). The same message redelivered after its worker died takes it over at once."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("member")
            .filter(pk=attempt_id)
            .first()
        )
        if attempt is None or attempt.is_final:
            return None
        if (
            attempt.status == AttemptStatus.PROCESSING
            and attempt.claim_task_id != task_id
            and attempt.started_at is not None
            and timezone.now() - attempt.started_at < PROCESSING_STALE_AFTER
        ):
            return None  # another message is on it
        if attempt.runs >= MAX_RUNS:
            # Redelivered again and again (a worker killed mid-clip each time, e.g. out of
            # memory): stop here instead of looping on a clip that kills workers.
            attempt.status = AttemptStatus.FAILED
            attempt.reason_code = "processing_error"
            attempt.reason_detail = f"Gave up after {attempt.runs} interrupted runs."
            attempt.finished_at = timezone.now()
            attempt.save(update_fields=["status", "reason_code", "reason_detail", "finished_at"])
            _broadcast(attempt)
            return None
        attempt.status = AttemptStatus.PROCESSING
        attempt.runs += 1
        attempt.started_at = timezone.now()
        attempt.claim_task_id = task_id
        attempt.save(update_fields=["status", "runs", "started_at", "claim_task_id"])
        _broadcast(attempt)
    return attempt


def evaluate(*, attempt: Attempt, track: Track) -> dict:
    """Gates, then scoring, for a track under the current catalogue. Returns the fields
    to store."""
    spec = attempt.spec
    gate = gates.check(spec, track)
    fields = {
        "landmarks": track.to_bytes(),
        "catalogue_version": CATALOGUE_VERSION,
        "result": None,
        "bucket": "",
        "confidence": gate.confidence or None,
        "reason_code": "",
        "reason_detail": "",
        "status": AttemptStatus.VALID,
    }
    if not gate.passed:
        fields.update(
            status=AttemptStatus.INVALID, reason_code=gate.code, reason_detail=gate.detail[:200]
        )
        fields["result"] = {"gates": gate.stats}
        return fields
    try:
        result = scoring.score(spec, track, gate)
    except scoring.NotMeasurable as exc:
        fields.update(
            status=AttemptStatus.INVALID, reason_code=exc.code, reason_detail=exc.detail[:200]
        )
        fields["result"] = {"gates": gate.stats}
        return fields
    result["gates"] = gate.stats
    fields.update(result=result, bucket=result["bucket"], confidence=result["confidence"])
    return fields


def attempt_finish(
    *, attempt_id: int, fields: dict, only_if_unfinished: bool = True
) -> Attempt | None:
    """Store the outcome in one transaction (a worker dying before this leaves the attempt
    processing, to be redone; never half-written)."""
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update()
            .select_related("member")
            .filter(pk=attempt_id)
            .first()
        )
        if attempt is None or (only_if_unfinished and attempt.is_final):
            return None
        for name, value in fields.items():
            setattr(attempt, name, value)
        attempt.finished_at = timezone.now()
        attempt.save()
        if attempt.status == AttemptStatus.VALID:
            retest_reminders_set(attempt=attempt)
        if attempt.status == AttemptStatus.INVALID:
            _audit(
                AuditEvent.MEASUREMENT_FAILED,
                member=attempt.member,
                attempt=attempt,
                reason=attempt.reason_code,
                detail=attempt.reason_detail,
                test_id=attempt.test_id,
            )
        _broadcast(attempt)
    return attempt


def attempt_fail(*, attempt_id: int, detail: str) -> Attempt | None:
    return attempt_finish(
        attempt_id=attempt_id,
        fields={
            "status": AttemptStatus.FAILED,
            "reason_code": "processing_error",
            "reason_detail": detail[:200],
        },
    )


def attempt_rescore(*, attempt: Attempt) -> Attempt:
    """Re-run gates and scoring on the stored landmarks under the current catalogue."""
    if not attempt.landmarks:
        raise ApplicationError(_("This attempt has no stored landmarks."), code="no_landmarks")
    fields = evaluate(attempt=attempt, track=Track.from_bytes(attempt.landmarks))
    fields.pop("landmarks")
    was = (attempt.status, attempt.reason_code)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        if locked.status == AttemptStatus.VALID and was[0] != AttemptStatus.VALID:
            retest_reminders_set(attempt=locked)
        if locked.status == AttemptStatus.INVALID and was != (locked.status, locked.reason_code):
            _audit(
                AuditEvent.MEASUREMENT_FAILED,
                member=locked.member,
                attempt=locked,
                reason=locked.reason_code,
                detail=locked.reason_detail,
                rescored=True,
            )
    return locked


# --- Signed video links ------------------------------------------------------------------


def _video_salt() -> str:
    # The schema is part of the salt: a link made in one gym is invalid in every other.
    return f"assessments.video.{connection.schema_name}"


def video_token(*, attempt: Attempt, user) -> str:
    return signing.dumps({"a": attempt.pk, "u": user.pk}, salt=_video_salt(), compress=True)


def video_token_read(token: str) -> dict:
    try:
        return signing.loads(
            token, salt=_video_salt(), max_age=settings.ASSESSMENT_VIDEO_URL_MAX_AGE
        )
    except signing.SignatureExpired as exc:
        raise ApplicationError(
            _("This video link has expired."), code="link_expired", status_code=403
        ) from exc
    except signing.BadSignature as exc:
        raise ApplicationError(
            _("This video link is not valid."), code="link_invalid", status_code=403
        ) from exc


# --- Retest reminders --------------------------------------------------------------------
# Reminder rows (apps.notifications): a scored attempt sets a quick-retest reminder two
# weeks later and a full-retest one four weeks later, at the local time the member tested,
# in their time zone. A newer scored attempt re-sets both (the clock restarts); the
# resolver skips a reminder whose attempt is no longer the member's latest scored one.

# The same dates the report shows (selectors.member_report), defined once there.
QUICK_RETEST_AFTER = selectors.QUICK_RETEST
FULL_RETEST_AFTER = selectors.FULL_RETEST[0]
RETEST_KIND = "assessment_retest"


def retest_reminders_set(*, attempt: Attempt) -> int:
    """Arm the member's quick and full retest reminders from `attempt` (a scored one),
    unless a newer scored attempt already did. Returns how many were set."""
    if attempt.status != AttemptStatus.VALID or attempt.member_id is None:
        return 0
    newer = (
        Attempt.objects.filter(
            member_id=attempt.member_id,
            status=AttemptStatus.VALID,
            created_at__gt=attempt.created_at,
        )
        .exclude(pk=attempt.pk)
        .exists()
    )
    if newer:
        return 0
    member = attempt.member
    zone = member.time_zone or getattr(_gym(), "time_zone", "") or "UTC"
    # Counted in local days, not hours: a member who tested at 18:00 is reminded at 18:00
    # two weeks later, even when the clocks changed in between.
    tested = attempt.created_at.astimezone(zoneinfo.ZoneInfo(zone))
    for kind, after in (("quick", QUICK_RETEST_AFTER), ("full", FULL_RETEST_AFTER)):
        reminder_set(
            recipient=member,
            kind=RETEST_KIND,
            local_time=tested.time().replace(tzinfo=None),
            on_date=tested.date() + timedelta(days=after.days),
            time_zone=zone,
            context={"attempt": attempt.pk, "kind": kind},
            source=f"member:{member.pk}:{kind}",
        )
    return 2


@register_resolver(RETEST_KIND)
def _retest_context(reminders) -> dict[int, dict | None]:
    """{"kind", "attempt"} for the template; skipped when the member has scored again
    since (or the attempt is gone or no longer valid)."""
    ids = {r.pk: r.context.get("attempt") for r in reminders}
    attempts = Attempt.objects.select_related("member").in_bulk(
        [i for i in ids.values() if isinstance(i, int)]
    )
    latest = dict(
        Attempt.objects.filter(
            status=AttemptStatus.VALID, member_id__in={a.member_id for a in attempts.values()}
        )
        .order_by("member_id", "-created_at")
        .distinct("member_id")
        .values_list("member_id", "id")
    )
    out: dict[int, dict | None] = {}
    for reminder in reminders:
        attempt_id = ids[reminder.pk]
        attempt = attempts.get(attempt_id) if isinstance(attempt_id, int) else None
        current = attempt is not None and latest.get(attempt.member_id) == attempt.pk
        out[reminder.pk] = (
            {"kind": reminder.context.get("kind", "quick"), "attempt": attempt} if current else SKIP
        )
    return out
