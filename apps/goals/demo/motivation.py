"""Demo motivation messages: for the first members, a few days of library messages in
their language and tone (written in bulk, dated in the past, as the task would have
written them), some rated helpful or not, so the member page, the home card and the staff
page's rates have something to show. Idempotent: members who already have messages are
left alone. With the stand-in on (`make run`), new check-ins get AI messages from it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from apps.goals.dates import member_zone
from apps.goals.models import MessageSource, Motivation, Situation, Tone
from apps.goals.services.motivation import library, motivation_language

MEMBERS = 10
# The last days' situations, oldest first: what a typical week of check-ins brings.
DAYS = (
    (4, Situation.FIRST_CHECKIN),
    (3, Situation.STREAK_UP),
    (2, Situation.REST_DAY),
    (1, Situation.STREAK_UP),
)
TONES = (Tone.FRIENDLY, Tone.TOUGH_LOVE, Tone.CALM)


def seed(*, members, today: date) -> dict:
    members = list(members)[:MEMBERS]
    have = set(Motivation.objects.filter(member__in=members).values_list("member_id", flat=True))
    rows = []
    for index, member in enumerate(m for m in members if m.pk not in have):
        language, tone = motivation_language(member), TONES[index % len(TONES)]
        for step, (days_ago, situation) in enumerate(DAYS):
            texts = library(language)[tone][situation]
            pick = (index + step) % len(texts)
            at = datetime.combine(
                today - timedelta(days=days_ago), time(19, 5 * step), tzinfo=member_zone(member)
            )
            # Two in three members rated some: mostly helpful, now and then not.
            rated = index % 3 != 2 and step % 2 == 1
            rows.append(
                Motivation(
                    member=member,
                    situation=situation,
                    text=texts[pick].replace("{name}", member.first_name),
                    tone=tone,
                    language=language,
                    source=MessageSource.LIBRARY,
                    library_key=f"{tone}.{situation}.{pick}",
                    fallback_reason="no_key",
                    helpful=(index + step) % 4 != 0 if rated else None,
                    rated_at=at + timedelta(hours=1) if rated else None,
                    created_at=at,
                )
            )
    Motivation.objects.bulk_create(rows)
    return {"motivation_messages": len(rows)}
