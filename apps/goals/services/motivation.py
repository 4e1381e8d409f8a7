"""Motivation messages: one short message after each check-in and with the morning
reminder, in the member's tone and language, from the AI when it is on and behaves, else
from the written library (apps/goals/library/<language>.json). See docs/goals.md,
"Motivation", for the rules and their reasons.

Nothing here runs in a request: the check-ins service calls
`motivation_queue_for_checkin` (it queues a task after commit) and the task calls
`motivation_for_checkin`, which may wait on the AI for up to OPENAI_TIMEOUT_SECONDS.

Cost control, in order: the feature is off without OPENAI_API_KEY and
OPENAI_CHAT_MODEL; an identical prompt within 24 h is answered from the gym's cache
(prompts carry no name: the model writes the placeholder {name}, filled in here, so
members in the same situation share an answer); each gym has a daily budget of calls
and tokens (AIUsage, one row per UTC day, counted with conditional UPDATEs so parallel
workers cannot overspend the calls); `max_tokens` bounds an answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache as memoize
from pathlib import Path

import openai
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.common import jsonparse
from apps.common.errors import ApplicationError
from apps.common.queue import enqueue_on_commit
from apps.goals.dates import local_day, local_today
from apps.goals.models import (
    AIUsage,
    CheckIn,
    CheckInStatus,
    Goal,
    GoalSettings,
    MessageSource,
    Milestone,
    Motivation,
    Situation,
    Streak,
    Tone,
)
from apps.goals.services.motivation_guardrails import LANGUAGES, MAX_CHARS, rejection
from apps.members.models import Member
from apps.notifications.services.hub import notify

logger = logging.getLogger(__name__)

TASK_CHECKIN = "apps.goals.tasks.motivation_for_checkin"
TASK_MORNING = "apps.goals.tasks.motivation_morning"
LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"
CACHE_SECONDS = 24 * 3600
# The library never repeats the last NO_REPEAT entries a member was shown (each tone x
# situation has at least NO_REPEAT + 1, so there is always one left).
NO_REPEAT = 5
# Streak lengths that are a milestone of their own (a goal's 25/50/75/100 % too).
STREAK_MILESTONES = frozenset({7, 14, 21, 30, 50, 75, 100, 150, 200, 250, 300, 365, 500, 730})
# "Back after a break": the last `went` before this one is at least this many days back.
COMEBACK_GAP_DAYS = 7
# The periodic job looks this far back for check-ins without a message, and leaves the
# last minutes to the task that is probably running for them right now.
REQUEUE_WINDOW = timedelta(hours=1)
REQUEUE_GRACE = timedelta(minutes=2)

SCHEMA = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "description": "The message, at most 280 characters."},
        "tone": {"type": "string", "enum": list(Tone.values)},
        "language": {"type": "string", "enum": list(LANGUAGES)},
    },
    "required": ["message", "tone", "language"],
    "additionalProperties": False,
}
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "motivation_message", "strict": True, "schema": SCHEMA},
}
# In the cache key: a changed schema (or prompt wording) never serves an old answer.
SCHEMA_VERSION = hashlib.sha256(json.dumps(RESPONSE_FORMAT, sort_keys=True).encode()).hexdigest()[
    :12
]

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}
TONE_STYLES = {
    Tone.FRIENDLY: "warm and encouraging, like a friendly coach",
    Tone.TOUGH_LOVE: "direct and demanding but never insulting, like a strict coach",
    Tone.CALM: "calm, gentle and unhurried, like a mindful coach",
}
SYSTEM_PROMPT = (
    "You write one short motivational message for a gym member after their daily "
    "check-in. Rules: at most 200 characters; write only in the language asked for; use "
    "the tone asked for; refer to the member only as {name} (write these six characters "
    "literally, they are replaced by the first name); speak about showing up, habits, "
    "consistency and rest; never give medical, injury, diet, nutrition, calorie, "
    "weight-loss or supplement advice; no emojis, no hashtags, no quotes. Answer with the "
    "JSON object {message, tone, language}."
)
SITUATION_HINTS = {
    Situation.FIRST_CHECKIN: "This is the member's first check-in ever: welcome them.",
    Situation.STREAK_UP: "The member went again: their streak grew.",
    Situation.MILESTONE: "The member reached a milestone (streak length or goal progress).",
    Situation.STREAK_BROKEN: "The member missed the day: their streak is broken.",
    Situation.COMEBACK: "The member is back after a break of a week or more.",
    Situation.REST_DAY: "A planned rest day: rest is part of training.",
    Situation.MORNING: "Morning reminder: the member has not checked in yet today.",
}


@dataclass
class Answer:
    """What the AI step produced: a text (with {name}) or a fallback reason."""

    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallback_reason: str = ""


# --- Queueing (called by the check-ins service and the morning reminder) ---------------


def motivation_enabled(member) -> bool:
    """The member's own switch (on by default: no settings row means the defaults)."""
    chosen = GoalSettings.objects.filter(member=member).values_list("motivation", flat=True)
    return next(iter(chosen), True)


def motivation_queue_for_checkin(*, checkin: CheckIn) -> None:
    """Queue the message for a check-in just written (after commit; nothing when the
    member turned motivation off). The check-in's response never waits for it."""
    if motivation_enabled(checkin.member_id):
        enqueue_on_commit(TASK_CHECKIN, checkin.pk)


def motivation_queue_morning(*, member) -> None:
    """Queue the morning message (with the daily reminder); at most one a local day."""
    if motivation_enabled(member.pk):
        enqueue_on_commit(TASK_MORNING, member.pk)


def motivation_requeue_recent() -> int:
    """Periodic job: check-ins of the last hour that still have no message (their task
    was lost: broker down) are queued again. Returns how many."""
    now = timezone.now()
    ids = list(
        CheckIn.objects.filter(
            updated_at__gte=now - REQUEUE_WINDOW,
            updated_at__lte=now - REQUEUE_GRACE,
            motivations__isnull=True,
        )
        .exclude(member__goal_settings__motivation=False)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        enqueue_on_commit(TASK_CHECKIN, pk)
    return len(ids)


# --- The message ------------------------------------------------------------------------


def motivation_language(member) -> str:
    """The member's language (else the gym's), as one of the four the library has."""
    language = (member.language or getattr(connection.tenant, "default_language", "") or "en")[
        :2
    ].lower()
    return language if language in LANGUAGES else "en"


def motivation_tone(member) -> str:
    chosen = GoalSettings.objects.filter(member=member).values_list("tone", flat=True)
    tone = next(iter(chosen), Tone.FRIENDLY)
    return tone if tone in Tone.values else Tone.FRIENDLY


def motivation_situation(*, checkin: CheckIn, streak: Streak | None) -> str:
    """What the check-in is about (the rules, in order):
    rest -> rest_day; missed -> streak_broken (whatever its length: the message is
    about coming back); went with no earlier `went` -> first_checkin; went and the streak
    is now a milestone length, or a goal milestone was reached that day -> milestone;
    went and the last `went` before it is >= 7 days back -> comeback; else streak_up."""
    if checkin.status == CheckInStatus.REST:
        return Situation.REST_DAY
    if checkin.status == CheckInStatus.MISSED:
        return Situation.STREAK_BROKEN
    previous = (
        CheckIn.objects.filter(
            member_id=checkin.member_id, status=CheckInStatus.WENT, on__lt=checkin.on
        )
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )
    if previous is None:
        return Situation.FIRST_CHECKIN
    if streak is not None and streak.current in STREAK_MILESTONES:
        return Situation.MILESTONE
    member = checkin.member
    reached = Milestone.objects.filter(
        goal__member_id=checkin.member_id,
        reached_at__gte=timezone.now() - timedelta(days=2),
    ).values_list("reached_at", flat=True)
    if any(local_day(member, moment) == checkin.on for moment in reached):
        return Situation.MILESTONE
    if (checkin.on - previous).days >= COMEBACK_GAP_DAYS:
        return Situation.COMEBACK
    return Situation.STREAK_UP


def _context_lines(member, today, streak: Streak | None) -> list[str]:
    """The goal, the last 3 check-ins and the streak, as the prompt states them. Days are
    relative ("yesterday") and nothing names the member, so that members in the same
    situation send the same prompt (one cached answer). Reflections are the member's
    own words and stay out (privacy, and text the model must not take as instructions)."""
    lines = []
    if streak is not None:
        lines.append(
            f"streak: {streak.current} days (longest {streak.longest}); "
            f"habit strength: {round(streak.habit_score * 100)} %"
        )
    else:
        lines.append("streak: 0 days")
    goal = (
        Goal.objects.filter(member=member, archived_at__isnull=True).order_by("-created_at").first()
    )
    if goal is not None:
        period = f" per {goal.period}" if goal.period else ""
        lines.append(
            f"goal: {goal.get_type_display()} {goal.target.normalize():f} {goal.unit}{period}, "
            f"{round(goal.progress)} % done ({goal.status})"
        )
    recent = CheckIn.objects.filter(member=member, on__lte=today).order_by("-on")[:3]
    described = []
    for checkin in recent:
        days = (today - checkin.on).days
        when = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
        extra = ", ".join(
            f"{label} {value}/5"
            for label, value in (("mood", checkin.mood), ("energy", checkin.energy))
            if value
        )
        described.append(f"{when} {checkin.status}" + (f" ({extra})" if extra else ""))
    lines.append("last check-ins: " + ("; ".join(described) if described else "none"))
    return lines


def motivation_prompt(*, member, situation: str, tone: str, language: str, today, streak):
    """The chat messages for one message (the source document's prompt: tone, language,
    the goal, the last 3 check-ins, the streak)."""
    user = "\n".join(
        [
            f"language: {language} ({LANGUAGE_NAMES[language]})",
            f"tone: {tone} ({TONE_STYLES[tone]})",
            f"situation: {situation}. {SITUATION_HINTS[situation]}",
            *_context_lines(member, today, streak),
        ]
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def motivation_cache_key(model: str, messages) -> str:
    digest = hashlib.sha256(
        json.dumps([model, messages], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    return f"goals:motivation:{connection.schema_name}:{SCHEMA_VERSION}:{digest}"


def _utc_day():
    return datetime.now(UTC).date()


def _take_call() -> str:
    """Count one call against the gym's budget for today; the reason when it is spent
    ("" when the call may go). One conditional UPDATE: two workers never both take the
    last call."""
    day = _utc_day()
    AIUsage.objects.bulk_create([AIUsage(day=day)], ignore_conflicts=True)
    taken = AIUsage.objects.filter(
        day=day,
        calls__lt=settings.OPENAI_MOTIVATION_DAILY_CALLS,
        tokens__lt=settings.OPENAI_MOTIVATION_DAILY_TOKENS,
    ).update(calls=F("calls") + 1)
    if taken:
        return ""
    usage = AIUsage.objects.get(day=day)
    return (
        "budget_calls" if usage.calls >= settings.OPENAI_MOTIVATION_DAILY_CALLS else "budget_tokens"
    )


def _spend_tokens(total: int) -> None:
    if total > 0:
        AIUsage.objects.filter(day=_utc_day()).update(tokens=F("tokens") + total)


def _client():
    return openai.OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL or None,
        timeout=settings.OPENAI_TIMEOUT_SECONDS,
        max_retries=0,
    )


def motivation_ai_answer(*, messages, tone: str, language: str) -> Answer:
    """The AI's message for `messages`, checked; or why not (Answer.fallback_reason:
    no_key, budget_calls, budget_tokens, timeout, error, refusal, invalid_output,
    rejected_empty, rejected_too_long, rejected_wrong_language, rejected_medical)."""
    model = settings.OPENAI_CHAT_MODEL
    if not (settings.OPENAI_API_KEY and model):
        return Answer(fallback_reason="no_key")
    key = motivation_cache_key(model, messages)
    cached = cache.get(key)
    if isinstance(cached, str) and cached:
        return Answer(text=cached)  # no call, no tokens
    reason = _take_call()
    if reason:
        logger.info("Motivation AI budget spent in %s (%s)", connection.schema_name, reason)
        return Answer(fallback_reason=reason)
    try:
        response = _client().chat.completions.create(
            model=model,
            messages=messages,
            response_format=RESPONSE_FORMAT,
            max_tokens=settings.OPENAI_MOTIVATION_MAX_TOKENS,
        )
    except openai.APITimeoutError:
        logger.warning("Motivation AI timed out in %s", connection.schema_name)
        return Answer(fallback_reason="timeout")
    except openai.OpenAIError as exc:
        logger.warning("Motivation AI failed in %s: %s", connection.schema_name, exc)
        return Answer(fallback_reason="error")
    usage = response.usage
    prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
    completion_tokens = getattr(usage, "completion_tokens", 0) or 0
    _spend_tokens(prompt_tokens + completion_tokens)
    spent = Answer(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    choice = response.choices[0] if response.choices else None
    if choice is None:
        spent.fallback_reason = "invalid_output"
        return spent
    if getattr(choice.message, "refusal", None):
        spent.fallback_reason = "refusal"
        return spent
    try:
        data = jsonparse.loads(choice.message.content or "")
    except ValueError:
        data = None
    if (
        choice.finish_reason != "stop"
        or not isinstance(data, dict)
        or not isinstance(data.get("message"), str)
        or data.get("tone") != tone
    ):
        spent.fallback_reason = "invalid_output"
        return spent
    text = " ".join(data["message"].split())
    # The model's own `language` is a claim; the text is checked either way.
    why = "wrong_language" if data.get("language") != language else rejection(text, language)
    if why:
        logger.info("Motivation AI answer rejected (%s) in %s", why, connection.schema_name)
        spent.fallback_reason = f"rejected_{why}"
        return spent
    cache.set(key, text, CACHE_SECONDS)
    spent.text = text
    return spent


@memoize
def library(language: str) -> dict[str, dict[str, list[str]]]:
    """The written messages of one language: {tone: {situation: [text, ...]}}."""
    return json.loads((LIBRARY_DIR / f"{language}.json").read_text(encoding="utf-8"))


def motivation_library_pick(*, member, tone: str, situation: str, language: str, day):
    """(library key, text): deterministic (the member, day and situation pick the start,
    the list is walked from there) and never one of the last NO_REPEAT the member saw."""
    texts = library(language)[tone][situation]
    keys = [f"{tone}.{situation}.{index}" for index in range(len(texts))]
    recent = set(
        Motivation.objects.filter(member=member)
        .exclude(library_key="")
        .order_by("-created_at", "-id")
        .values_list("library_key", flat=True)[:NO_REPEAT]
    )
    start = int(hashlib.sha256(f"{member.pk}:{day}:{situation}".encode()).hexdigest(), 16)
    for step in range(len(keys)):
        index = (start + step) % len(keys)
        if keys[index] not in recent:
            return keys[index], texts[index]
    # Only a list shorter than NO_REPEAT + 1 ends here (the library test forbids one).
    return keys[start % len(keys)], texts[start % len(keys)]


def _personal(text: str, member, language: str) -> str:
    if member.first_name:
        return text.replace("{name}", member.first_name)
    with translation.override(language):
        return text.replace("{name}", _("friend"))


def _write(*, member, checkin, situation, tone, language, day, answer: Answer) -> Motivation:
    """The row and its in-app message, under the member's row lock (two tasks for one
    member never pick the same library entry or write a morning message twice)."""
    Member.objects.select_for_update().filter(pk=member.pk).first()
    if answer.text and len(_personal(answer.text, member, language)) > MAX_CHARS:
        # Checked with the placeholder; a long first name can still push it over.
        answer = Answer(
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            fallback_reason="rejected_too_long",
        )
    if answer.text:
        source, key, text = MessageSource.AI, "", answer.text
    else:
        source = MessageSource.LIBRARY
        key, text = motivation_library_pick(
            member=member, tone=tone, situation=situation, language=language, day=day
        )
    motivation = Motivation.objects.create(
        member=member,
        checkin=checkin,
        situation=situation,
        text=_personal(text, member, language),
        tone=tone,
        language=language,
        source=source,
        library_key=key,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        fallback_reason=answer.fallback_reason,
    )
    notify(
        member,
        "motivation",
        {
            "text": motivation.text,
            "url": reverse("member-motivation"),
            "data": {"motivation_id": motivation.pk, "situation": situation},
        },
        dedupe_key=f"motivation:{motivation.pk}",
    )
    return motivation


def motivation_for_checkin(*, checkin_id: int) -> Motivation | None:
    """The task's work: the message of one check-in, once (a retried or re-queued task
    returns the existing one). None when the check-in is gone or motivation is off."""
    checkin = CheckIn.objects.select_related("member").filter(pk=checkin_id).first()
    if checkin is None:
        return None
    existing = Motivation.objects.filter(checkin=checkin).first()
    if existing is not None or not motivation_enabled(checkin.member_id):
        return existing
    member = checkin.member
    streak = Streak.objects.filter(member=member).first()
    situation = motivation_situation(checkin=checkin, streak=streak)
    tone, language = motivation_tone(member), motivation_language(member)
    messages = motivation_prompt(
        member=member,
        situation=situation,
        tone=tone,
        language=language,
        today=checkin.on,
        streak=streak,
    )
    # The AI call is outside any transaction: no row stays locked while it answers.
    answer = motivation_ai_answer(messages=messages, tone=tone, language=language)
    with transaction.atomic():
        CheckIn.objects.select_for_update().filter(pk=checkin.pk).first()
        existing = Motivation.objects.filter(checkin=checkin).first()
        if existing is not None:
            return existing
        return _write(
            member=member,
            checkin=checkin,
            situation=situation,
            tone=tone,
            language=language,
            day=checkin.on,
            answer=answer,
        )


def _morning_sent(member, today) -> bool:
    latest = (
        Motivation.objects.filter(member=member, situation=Situation.MORNING)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return latest is not None and local_day(member, latest) == today


def motivation_morning(*, member_id: int) -> Motivation | None:
    """The task's work for the morning reminder: one morning message a local day."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None or not motivation_enabled(member):
        return None
    today = local_today(member)
    if _morning_sent(member, today):
        return None
    streak = Streak.objects.filter(member=member).first()
    tone, language = motivation_tone(member), motivation_language(member)
    messages = motivation_prompt(
        member=member,
        situation=Situation.MORNING,
        tone=tone,
        language=language,
        today=today,
        streak=streak,
    )
    answer = motivation_ai_answer(messages=messages, tone=tone, language=language)
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if _morning_sent(member, today):
            return None
        return _write(
            member=member,
            checkin=None,
            situation=Situation.MORNING,
            tone=tone,
            language=language,
            day=today,
            answer=answer,
        )


# --- Rating -----------------------------------------------------------------------------


def motivation_rate(*, member, motivation_id, helpful) -> Motivation:
    """The member's verdict on one of their messages (they may change it). Another
    member's or gym's id is 404, as if it did not exist."""
    if not isinstance(helpful, bool):
        raise ApplicationError(
            _("Say whether the message was helpful: true or false."),
            code="validation_error",
            details={"helpful": [_("Must be true or false.")]},
        )
    try:
        pk = int(motivation_id)
    except (TypeError, ValueError):
        pk = 0
    with transaction.atomic():
        motivation = (
            Motivation.objects.select_for_update().filter(pk=pk, member=member).first()
            if 0 < pk < 2**63
            else None
        )
        if motivation is None:
            raise ApplicationError(_("No such message."), code="not_found", status_code=404)
        motivation.helpful = helpful
        motivation.rated_at = timezone.now()
        motivation.save(update_fields=["helpful", "rated_at"])
    return motivation
