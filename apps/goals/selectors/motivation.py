"""Reads of motivation messages: a member's latest, and the staff figures (helpful rate
per tone and per source, AI calls and tokens today against the budget)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Count, Q

from apps.goals.models import AIUsage, MessageSource, Motivation, Tone

LATEST = 20


def motivation_latest_for_member(*, member, limit: int = LATEST):
    return Motivation.objects.filter(member=member).order_by("-created_at", "-id")[:limit]


def motivation_latest(*, member) -> Motivation | None:
    return Motivation.objects.filter(member=member).order_by("-created_at", "-id").first()


def _rate(helpful: int, rated: int) -> int | None:
    return round(100 * helpful / rated) if rated else None


def motivation_stats() -> dict:
    """Counts and helpful rates (helpful / rated, in %, None before any rating) per tone
    and per source, and today's AI usage (UTC day) against the daily budget."""
    counts = {
        "total": Count("id"),
        "rated": Count("id", filter=Q(helpful__isnull=False)),
        "helpful": Count("id", filter=Q(helpful=True)),
    }
    by_tone = {row["tone"]: row for row in Motivation.objects.values("tone").annotate(**counts)}
    by_source = {
        row["source"]: row for row in Motivation.objects.values("source").annotate(**counts)
    }

    def rows(found: dict, choices) -> list[dict]:
        out = []
        for value, label in choices:
            row = found.get(value, {"total": 0, "rated": 0, "helpful": 0})
            out.append(
                {
                    "key": value,
                    "label": label,
                    "total": row["total"],
                    "rated": row["rated"],
                    "helpful": row["helpful"],
                    "rate": _rate(row["helpful"], row["rated"]),
                }
            )
        return out

    usage = AIUsage.objects.filter(day=datetime.now(UTC).date()).first()
    return {
        "tones": rows(by_tone, Tone.choices),
        "sources": rows(by_source, MessageSource.choices),
        "ai_on": bool(settings.OPENAI_API_KEY and settings.OPENAI_CHAT_MODEL),
        "calls": usage.calls if usage else 0,
        "tokens": usage.tokens if usage else 0,
        "calls_budget": settings.OPENAI_MOTIVATION_DAILY_CALLS,
        "tokens_budget": settings.OPENAI_MOTIVATION_DAILY_TOKENS,
        "fallbacks": list(
            Motivation.objects.exclude(fallback_reason="")
            .values("fallback_reason")
            .annotate(total=Count("id"))
            .order_by("-total")
        ),
    }
