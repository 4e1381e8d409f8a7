"""Writes on members. Staff dashboard, API, admin and signup all come through here."""

from __future__ import annotations

import logging
import os
from collections import Counter
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import invitation_send, user_create
from apps.common.errors import ApplicationError
from apps.common.queue import enqueue_on_commit
from apps.common.realtime import broadcast_on_commit
from apps.members import importing, selectors
from apps.members.models import (
    ExistingMembers,
    ImportStatus,
    Member,
    MemberImport,
    MemberStatus,
)

logger = logging.getLogger(__name__)

# Fields staff may set; members may edit only their own contact details.
STAFF_EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "language",
    "time_zone",
    "date_of_birth",
    "emergency_contact_name",
    "emergency_contact_phone",
    "photo",
    "status",
    "tier",
    "payment_overdue",  # by hand where the gym has no Stripe; billing owns it for subscribers
    "joined_on",
    "household",
    "tags",
    "notes",
)
STAFF_FIELDS = frozenset(STAFF_EDITABLE_FIELDS)
SELF_EDITABLE_FIELDS = (
    "phone",
    "language",
    "time_zone",
    "emergency_contact_name",
    "emergency_contact_phone",
    "photo",
)
SELF_FIELDS = frozenset(SELF_EDITABLE_FIELDS)


def _next_number() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('member_number_seq')")
        number = cursor.fetchone()[0]
        if Member.objects.filter(number=number).exists():
            # Numbers set by hand (an import) got ahead of the sequence: catch up once.
            cursor.execute(
                "SELECT setval('member_number_seq', (SELECT MAX(number) FROM members_member))"
            )
            cursor.execute("SELECT nextval('member_number_seq')")
            number = cursor.fetchone()[0]
    return number


def _clean_tags(tags) -> list[str]:
    cleaned = []
    for tag in tags or []:
        tag = str(tag).strip().lower()[:32]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned[:20]


def _apply(member: Member, data: dict, allowed: frozenset) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here."),
            code="invalid_fields",
            details={field: [_("Not allowed.")] for field in sorted(unknown)},
        )
    for field, value in data.items():
        if field == "tags":
            value = _clean_tags(value)
        if field == "email":
            value = (value or "").strip().lower()
        setattr(member, field, value)
    if member.household_id:
        household = member.household
        if member.pk and household.pk == member.pk:
            raise ApplicationError(
                _("A member cannot be linked to themselves as a household."),
                code="invalid_household",
            )
        if member.pk and member.household_members.exists():
            raise ApplicationError(
                _("This member heads a household; a household head cannot join another."),
                code="invalid_household",
            )
        if household.household_id:
            raise ApplicationError(
                _("Link to the household's main member instead."), code="invalid_household"
            )
    # lower(email), not email__iexact (upper()): the unique index is on lower(email), and
    # an import checks this for every row.
    if (
        member.email
        and Member.objects.alias(email_lower=Lower("email"))
        .filter(email_lower=member.email.lower())
        .exclude(pk=member.pk)
        .exists()
    ):
        raise ApplicationError(
            _("Another member already uses this email."),
            code="email_taken",
            details={"email": [_("Another member already uses this email.")]},
        )
    try:
        member.full_clean(exclude=["number", "user"])
    except ValidationError as exc:
        raise ApplicationError(
            _("Some fields are not valid."), code="validation_error", details=exc.message_dict
        ) from exc


def _announce(member: Member, event: str) -> None:
    broadcast_on_commit(
        "staff",
        event,
        {
            "id": member.pk,
            "number": member.number,
            "name": member.full_name,
            "status": member.status,
        },
    )


@transaction.atomic
def member_create(
    *,
    data: dict,
    by: User | None = None,
    user: User | None = None,
    number: int | None = None,
    announce: bool = True,
) -> Member:
    """A new member. `number`: the one they had in the gym's old system (an import), else
    the next from the sequence. `announce=False` for an import: no toast per row on every
    staff screen."""
    member = Member(user=user)
    _apply(member, data, STAFF_FIELDS)
    if number is None:
        member.number = _next_number()
    elif Member.objects.filter(number=number).exists():
        message = _("Member number %(number)s is already taken.") % {"number": number}
        raise ApplicationError(message, code="number_taken", details={"number": [message]})
    else:
        member.number = number
    member.save()
    if announce:
        _announce(member, "member.created")
    return member


@transaction.atomic
def member_update(*, member: Member, data: dict, by: User, announce: bool = True) -> Member:
    allowed = SELF_FIELDS if by.role == Role.MEMBER else STAFF_FIELDS
    if by.role == Role.MEMBER and member.user_id != by.pk:
        raise ApplicationError(_("Not found."), code="not_found", status_code=404)
    _apply(member, data, allowed)
    member.save()
    if announce:
        _announce(member, "member.updated")
    return member


@transaction.atomic
def member_register_self(*, user: User, first_name: str = "", last_name: str = "") -> Member:
    """A person signed up on the gym's site or app: a lead with a login of their own."""
    same_email = Member.objects.filter(email__iexact=user.email).first()
    if same_email is not None and same_email.user_id is None:
        # Staff had already recorded them: attach the login, keep the profile.
        same_email.user = user
        same_email.save(update_fields=["user", "updated_at"])
        return same_email
    name = first_name or user.full_name.split(" ")[0] or user.email.split("@")[0]
    # If another member's profile holds this address (its login has another one), the new
    # lead starts without it rather than failing the signup; staff can sort it out.
    email = "" if same_email is not None else user.email
    data = {
        "first_name": name[:80],
        "last_name": last_name,
        "email": email,
        "status": MemberStatus.LEAD,
    }
    return member_create(data=data, user=user)


@transaction.atomic
def member_grant_app_access(*, member: Member, password: str | None = None) -> User:
    """Give a member a login for the app (role member). Without a password the member
    sets one through the password-reset email."""
    if member.user_id:
        raise ApplicationError(_("This member can already log in."), code="already_has_login")
    if not member.email:
        raise ApplicationError(_("Add the member's email first."), code="email_required")
    user = user_create(
        email=member.email, password=password, full_name=member.full_name, role=Role.MEMBER
    )
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    return user


@transaction.atomic
def member_invite_to_app(*, member: Member, by: User) -> User:
    """ "Invite to the app": give the member a login (if they have none yet) and email
    them a welcome with the gym's app link and a link to choose their password. Again
    for a member who has not chosen one yet: a fresh link (the old one stops working)."""
    member = Member.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
    if member.user_id is None:
        user = member_grant_app_access(member=member)
    else:
        user = member.user
        if user.has_usable_password():
            raise ApplicationError(_("This member can already log in."), code="already_has_login")
    invitation_send(user=user, by=by, recipient=member)
    return user


# --- Importing members from the gym's old system (a CSV file) ---------------------------
# `apps.members.importing` reads the file; `selectors.member_import_check` says what each
# row would do (the preview shows the same); this part writes, through `member_create`
# and `member_update`, one savepoint per row.

IMPORT_TASK = "apps.members.tasks.run_member_import"
IMPORT_CHUNK = 100  # rows per transaction: progress shows, and a run resumes, per chunk
IMPORT_STALLED = timedelta(minutes=10)  # a run without progress this long is taken over
IMPORT_NOT_QUEUED = timedelta(minutes=5)  # queued but never started: the broker was down
IMPORT_FILES_KEPT = timedelta(days=7)  # files of imports that were never started


class _JsonbAppend(Func):
    """`errors || '[...]'::jsonb`: add a chunk's failed rows without reading the list."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = models.JSONField()


def member_import_create(*, upload, by: User) -> MemberImport:
    """Check an uploaded CSV file and keep it for the column mapping step."""
    if upload.size > importing.MAX_BYTES:
        raise importing.too_large_error()
    data = upload.read(importing.MAX_BYTES + 1)
    info = importing.read_file(data)
    member_import = MemberImport(
        original_name=os.path.basename(upload.name or "")[:200] or "members.csv",
        size=len(data),
        encoding=info.encoding,
        delimiter=info.delimiter,
        header=info.header,
        mapping=importing.guess_mapping(info.header),
        total_rows=info.row_count,
        created_by=by,
    )
    member_import.file.save("members.csv", ContentFile(data), save=False)
    member_import.save()
    return member_import


def _locked_draft(member_import: MemberImport) -> MemberImport:
    locked = MemberImport.objects.select_for_update().get(pk=member_import.pk)
    if locked.status != ImportStatus.DRAFT:
        raise ApplicationError(_("This import has already been started."), code="import_started")
    if not locked.file:
        raise ApplicationError(
            _("The file of this import is no longer kept; upload it again."),
            code="import_expired",
        )
    return locked


@transaction.atomic
def member_import_set_mapping(
    *, member_import: MemberImport, mapping: list[str], on_existing: str, default_status: str
) -> MemberImport:
    """Which member field each column is, and what to do with members already there."""
    locked = _locked_draft(member_import)
    if len(mapping) != len(locked.header) or any(
        key and key not in importing.FIELD_LABELS for key in mapping
    ):
        raise ApplicationError(
            _("The column choices do not match the file."), code="invalid_mapping"
        )
    if on_existing not in ExistingMembers.values or default_status not in MemberStatus.values:
        raise ApplicationError(_("Choose one of the options offered."), code="invalid_mapping")
    locked.mapping = list(mapping)
    locked.on_existing = on_existing
    locked.default_status = default_status
    locked.save(update_fields=["mapping", "on_existing", "default_status", "updated_at"])
    return locked


def member_import_start(*, member_import: MemberImport, by: User) -> MemberImport:
    """Import the file as mapped. Large files go to a Celery task (the page shows its
    progress); small ones run the same code at once, while the page waits."""
    with transaction.atomic():
        locked = _locked_draft(member_import)
        problems = importing.mapping_problems(locked.mapping)
        if problems:
            raise ApplicationError(
                " ".join(problems), code="invalid_mapping", details={"mapping": problems}
            )
        locked.status = ImportStatus.QUEUED
        locked.created_by = by  # the rows are written in the name of who started it
        locked.language = translation.get_language() or ""
        locked.save(update_fields=["status", "created_by", "language", "updated_at"])
        background = locked.total_rows > importing.BACKGROUND_ABOVE
        if background:
            enqueue_on_commit(IMPORT_TASK, locked.pk, connection.schema_name)
    if not background:
        member_import_run(import_id=locked.pk)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def _import_claim(import_id: int, task_id: str) -> MemberImport | None:
    member_import = (
        MemberImport.objects.select_for_update(of=("self",))
        .select_related("created_by")
        .filter(pk=import_id)
    ).first()
    if member_import is None:
        return None
    now = timezone.now()
    stalled = member_import.status == ImportStatus.RUNNING and (
        member_import.updated_at < now - IMPORT_STALLED
        or (task_id and member_import.claim_task_id == task_id)
    )
    if member_import.status != ImportStatus.QUEUED and not stalled:
        return None  # done, or running elsewhere right now
    member_import.status = ImportStatus.RUNNING
    member_import.started_at = member_import.started_at or now
    member_import.claim_task_id = task_id
    member_import.save(update_fields=["status", "started_at", "claim_task_id", "updated_at"])
    return member_import


def member_import_run(*, import_id: int, task_id: str = "") -> MemberImport | None:
    """Import every row not imported yet (idempotent: rows are recognised by email, or
    member number, so a second run of the same file creates nobody; a resumed run starts
    after the last finished chunk). None when the import is not this run's to do."""
    member_import = _import_claim(import_id, task_id)
    if member_import is None:
        return None
    with translation.override(member_import.language or selectors.gym_language()):
        if member_import.created_by is None:
            return _import_stop(member_import, _("The person who started the import is gone."))
        if not member_import.file:
            return _import_stop(member_import, _("The file is no longer kept; upload it again."))
        try:
            _import_rows(member_import)
        except DatabaseError:
            raise  # the task tries again, or the sweeper resumes the stalled run
        except Exception as exc:  # a bug must not leave the import running for ever
            logger.exception("Member import %s stopped", import_id)
            reason = _("An unexpected error (%(error)s); it has been logged.")
            return _import_stop(member_import, reason % {"error": type(exc).__name__})
    return _import_finish(member_import)


def _numbers_continue_after(number: int | None) -> None:
    """New members without a number in the file get numbers after the file's highest, so
    they never take a number that a later row brings."""
    if number is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval('member_number_seq', "
            "GREATEST(%s, (SELECT last_value FROM member_number_seq)))",
            [number],
        )


def _import_rows(member_import: MemberImport) -> None:
    rows = list(selectors.member_import_rows(member_import=member_import))
    _numbers_continue_after(importing.highest_number(rows, member_import.mapping))
    checks = selectors.member_import_check(member_import=member_import, rows=rows)
    done = member_import.processed_rows
    position = 0
    for chunk in importing.batched(checks, IMPORT_CHUNK):
        todo = chunk[max(0, done - position) :]
        position += len(chunk)
        if not todo:
            continue  # imported by an earlier run of this import
        with transaction.atomic():
            counts: Counter = Counter()
            failed = []
            for check in todo:
                outcome, reason = _import_row(check, member_import)
                counts[outcome] += 1
                if reason:
                    failed.append({"line": check.line, "reason": reason, "values": check.cells})
            errors = F("errors")
            if failed:
                errors = _JsonbAppend(F("errors"), Value(failed, output_field=models.JSONField()))
            MemberImport.objects.filter(pk=member_import.pk).update(
                processed_rows=F("processed_rows") + len(todo),
                created_count=F("created_count") + counts["created"],
                updated_count=F("updated_count") + counts["updated"],
                skipped_count=F("skipped_count") + counts["skipped"],
                failed_count=F("failed_count") + counts["failed"],
                errors=errors,
                updated_at=timezone.now(),
            )


def _import_row(check: selectors.RowCheck, member_import: MemberImport) -> tuple[str, str]:
    """(created | updated | skipped | failed, the reason it failed)."""
    if check.outcome == "error":
        return "failed", check.reason
    if check.outcome == "skip":
        return "skipped", ""
    by = member_import.created_by
    # member_create and member_update are atomic: inside the chunk's transaction each is a
    # savepoint of its own, so a refused row is rolled back alone and the others stay.
    try:
        if check.outcome == "create":
            member_create(
                data=selectors.create_values(check, member_import),
                by=by,
                number=check.number,
                announce=False,
            )
            return "created", ""
        member_update(member=check.existing, data=check.changes, by=by, announce=False)
        return "updated", ""
    except ApplicationError as exc:
        return "failed", _error_text(exc)
    except IntegrityError:
        # Someone saved the same email or number between the check and this row.
        return "failed", _("Another member already has this email or member number.")


def _error_text(exc: ApplicationError) -> str:
    details = exc.details if isinstance(exc.details, dict) else {}
    messages = [
        str(message)
        for errors in details.values()
        for message in (errors if isinstance(errors, list) else [errors])
    ]
    return " ".join(dict.fromkeys(messages)) or exc.message


def _import_finish(member_import: MemberImport) -> MemberImport:
    member_import.refresh_from_db()
    if member_import.file:
        member_import.file.delete(save=False)  # personal data; failed rows stay in `errors`
    member_import.status = ImportStatus.DONE
    member_import.finished_at = timezone.now()
    member_import.save(update_fields=["file", "status", "finished_at", "updated_at"])
    return member_import


def _import_stop(member_import: MemberImport, reason: str) -> MemberImport:
    member_import.refresh_from_db()
    member_import.status = ImportStatus.FAILED
    member_import.failure = reason[:300]
    member_import.finished_at = timezone.now()
    member_import.save(update_fields=["status", "failure", "finished_at", "updated_at"])
    return member_import


def member_imports_sweep(*, now=None) -> int:
    """Per gym: imports whose task never reached the broker, or whose run stalled (a
    worker died), are queued again (the run resumes after its last finished chunk); files
    of imports never started are deleted after a week. Returns how many were queued."""
    now = now or timezone.now()
    stuck = list(
        MemberImport.objects.filter(
            Q(status=ImportStatus.QUEUED, updated_at__lt=now - IMPORT_NOT_QUEUED)
            | Q(status=ImportStatus.RUNNING, updated_at__lt=now - IMPORT_STALLED)
        ).values_list("pk", flat=True)
    )
    for pk in stuck:
        enqueue_on_commit(IMPORT_TASK, pk, connection.schema_name)
    for old in (
        MemberImport.objects.filter(created_at__lt=now - IMPORT_FILES_KEPT)
        .exclude(file="")
        .exclude(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
    ):
        old.file.delete(save=True)
    return len(stuck)
