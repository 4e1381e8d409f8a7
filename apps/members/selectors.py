"""Reads on members (current gym schema)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from apps.billing.selectors import plan_list
from apps.common.text import clean_query_text
from apps.members import importing
from apps.members.models import ExistingMembers, Member, MemberImport, MemberStatus


def member_list(*, filters: dict | None = None) -> QuerySet[Member]:
    filters = filters or {}
    members = Member.objects.all()
    query = clean_query_text(filters.get("q"))
    if query:
        condition = (
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
            | Q(phone__icontains=query)
        )
        if re.fullmatch(r"#?[0-9]{1,9}", query):
            condition |= Q(number=int(query.lstrip("#")))
        parts = query.split()
        if len(parts) >= 2:
            condition |= Q(first_name__icontains=parts[0], last_name__icontains=parts[-1])
        members = members.filter(condition)
    if filters.get("status"):
        members = members.filter(status=filters["status"])
    if filters.get("tier"):
        members = members.filter(tier=clean_query_text(filters["tier"], max_length=12))
    if filters.get("tag"):
        members = members.filter(tags__contains=[clean_query_text(filters["tag"], max_length=32)])
    return members


def member_status_counts() -> dict[str, int]:
    counts = dict(Member.objects.values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in MemberStatus.values}


def member_for_user(*, user) -> Member | None:
    # No join and no ordering: one row by a unique key, asked on every app request.
    return Member.objects.filter(user=user).order_by().first()


def setup_members_done() -> bool:
    return Member.objects.exists()


# --- Importing members (CSV) -----------------------------------------------------------


def member_import_list() -> QuerySet[MemberImport]:
    return MemberImport.objects.select_related("created_by")


def gym_language() -> str:
    return getattr(connection.tenant, "default_language", "") or "en"


def member_import_rows(*, member_import: MemberImport) -> Iterator[tuple[int, list[str]]]:
    """The stored file's rows below the header: (line, cells)."""
    with member_import.file.open("rb") as stored:
        data = stored.read()
    return importing.data_rows(
        data, encoding=member_import.encoding, delimiter=member_import.delimiter
    )


@dataclass
class RowCheck:
    """What importing one row would do: `outcome` is create, update, skip or error."""

    line: int
    cells: list[str]
    fields: dict  # the member fields the row gives
    number: int | None
    errors: list[str] = field(default_factory=list)
    existing: Member | None = None
    changes: dict = field(default_factory=dict)  # for `existing`: what an update changes
    notices: list[str] = field(default_factory=list)
    outcome: str = "create"

    @property
    def name(self) -> str:
        return f"{self.fields.get('first_name', '')} {self.fields.get('last_name', '')}".strip()

    @property
    def reason(self) -> str:
        return " ".join(self.errors)

    @property
    def details(self) -> list[str]:
        """The row's other values as they would be stored, for the preview."""
        shown = [f"#{self.number}"] if self.number is not None else []
        for name in ("phone", "date_of_birth", "status", "tier", "joined_on"):
            if name not in self.fields:
                continue
            model_field = Member._meta.get_field(name)
            value = self.fields[name]
            if model_field.choices:
                value = dict(model_field.flatchoices).get(value, value)
            elif isinstance(value, dt.date):
                value = date_format(value, "SHORT_DATE_FORMAT")
            shown.append(f"{capfirst(model_field.verbose_name)}: {value}")
        return shown

    @property
    def changed_labels(self) -> str:
        return ", ".join(
            str(capfirst(Member._meta.get_field(name).verbose_name)) for name in self.changes
        )


def _plans() -> dict:
    plans: dict = {}
    for plan in plan_list(for_staff=True):  # retired plans too: old members may be on them
        plans.setdefault(importing.normalise(plan.name), plan)
    return plans


def _changes(member: Member, fields: dict) -> dict:
    """The fields an update would change: the file's non-empty cells only (an empty cell
    never clears what the gym has); notes are added unless the member has them already."""
    changes = {}
    for name, value in fields.items():
        if name == "notes":
            if value not in member.notes:
                changes["notes"] = f"{member.notes}\n\n{value}" if member.notes else value
        elif getattr(member, name) != value:
            changes[name] = value
    return changes


def _field_errors(values: dict) -> list[str]:
    """The model's own checks (lengths, choices) on the values a row would write."""
    exclude = [f.name for f in Member._meta.concrete_fields if f.name not in values]
    try:
        Member(**values).full_clean(
            exclude=exclude, validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        return [
            f"{capfirst(Member._meta.get_field(name).verbose_name)}: {message}"
            if name in values
            else message
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return []


def member_import_check(
    *, member_import: MemberImport, rows: Iterable[tuple[int, list[str]]], batch_size: int = 200
) -> Iterator[RowCheck]:
    """What importing each row would do, in file order. The preview shows it and the import
    acts on it, so both say the same. Members already in the gym are found by email (or by
    member number for a row without one), a batch of rows at a time."""
    language = gym_language()
    plans = _plans()
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[int, int] = {}
    for batch in importing.batched(rows, batch_size):
        parsed = [
            (
                line,
                cells,
                importing.parse_row(cells, member_import.mapping, language=language, plans=plans),
            )
            for line, cells in batch
        ]
        emails = {row.fields["email"] for _l, _c, row in parsed if row.fields.get("email")}
        numbers = {row.number for _l, _c, row in parsed if row.number is not None}
        by_email = {
            member.email_lower: member
            for member in Member.objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=emails
            )
        }
        by_number = {member.number: member for member in Member.objects.filter(number__in=numbers)}
        for line, cells, row in parsed:
            check = RowCheck(line, cells, row.fields, row.number, list(row.errors))
            _recognise(check, member_import, seen_emails, seen_numbers, by_email, by_number)
            yield check


def _recognise(check, member_import, seen_emails, seen_numbers, by_email, by_number) -> None:
    email, number = check.fields.get("email"), check.number
    if email:
        if email in seen_emails:
            check.errors.append(_("Same email as line %(line)s.") % {"line": seen_emails[email]})
        else:
            seen_emails[email] = check.line
    if number is not None:
        if number in seen_numbers:
            check.errors.append(
                _("Same member number as line %(line)s.") % {"line": seen_numbers[number]}
            )
        else:
            seen_numbers[number] = check.line
    if not check.fields.get("first_name"):
        check.errors.append(_("The name is missing."))
    if not email and number is None and not check.errors:  # (not for a mistyped email)
        check.errors.append(
            _(
                "Neither an email nor a member number: one of them is needed to recognise the "
                "member if the file is imported again."
            )
        )
    existing = by_email.get(email) if email else None
    if existing is None and number is not None and number in by_number:
        other = by_number[number]
        if email and other.email:
            check.errors.append(
                _("Member number %(number)s belongs to %(name)s, who has another email.")
                % {"number": number, "name": other.full_name}
            )
        else:
            existing = other  # the same person: recognised by the number
    elif existing is not None and number is not None and existing.number != number:
        check.notices.append(
            _("Keeps member number %(kept)s (the file says %(number)s).")
            % {"kept": existing.number, "number": number}
        )
    check.existing = existing
    if existing is not None and not check.errors:
        check.changes = _changes(existing, check.fields)
        check.errors += _field_errors(check.changes)
    elif not check.errors:
        check.errors += _field_errors(create_values(check, member_import))
    if check.errors:
        check.outcome = "error"
    elif existing is None:
        check.outcome = "create"
    elif member_import.on_existing == ExistingMembers.SKIP or not check.changes:
        check.outcome = "skip"
    else:
        check.outcome = "update"


def create_values(check: RowCheck, member_import: MemberImport) -> dict:
    """What `member_create` gets for a new member from this row."""
    return {"status": member_import.default_status, **check.fields}


@dataclass
class ImportPreview:
    rows: list[RowCheck]  # the first rows, as they would be imported
    counts: Counter  # outcome -> rows, over the whole file
    problems: list[RowCheck]  # rows with errors, the first ones
    problem_count: int


def member_import_preview(
    *, member_import: MemberImport, problems_shown: int = 100
) -> ImportPreview:
    """The whole file checked as the import would do it: the first rows to show, what the
    import would do with every row, and the rows it would refuse."""
    preview = ImportPreview(rows=[], counts=Counter(), problems=[], problem_count=0)
    rows = member_import_rows(member_import=member_import)
    for check in member_import_check(member_import=member_import, rows=rows):
        preview.counts[check.outcome] += 1
        if len(preview.rows) < importing.PREVIEW_ROWS:
            preview.rows.append(check)
        if check.outcome == "error":
            preview.problem_count += 1
            if len(preview.problems) < problems_shown:
                preview.problems.append(check)
    return preview
