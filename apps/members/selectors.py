"""Reads on members (current gym schema)."""

from __future__ import annotations

import re

from django.db.models import Count, Q, QuerySet

from apps.common.text import clean_query_text
from apps.members.models import Member, MemberStatus


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
