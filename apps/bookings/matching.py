"""Trainer matching: rank trainers for a member by a transparent weighted score, with the
reasons behind each score in words.

score = 0.35 goals + 0.20 language + 0.20 availability + 0.15 price + 0.10 rating, each
part between 0 and 1:
  goals         share of the member's goals found in the trainer's specialties
  language      1 when the trainer speaks the preferred language (0.5: no preference)
  availability  share of the member's wished hours inside the trainer's weekly hours,
                after converting the member's times from their zone to the gym's
  price         1 within budget, falling linearly to 0 at twice the budget (1: no budget)
  rating        rating / 5 (0.5: not rated yet)

With embeddings configured (apps.common.ai: OPENAI_API_KEY + OPENAI_EMBEDDING_MODEL), the
member's goals, as free text, are also compared with each trainer's bio and specialties:
  goals         0.5 x the share above + 0.5 x max(0, cosine similarity of the two texts)
so the goal weight stays 0.35 (0.175 keywords, 0.175 meaning) and the other parts are
unchanged. The result's `method` says "embedding"; without a key, on a timeout, an API
error or a spent daily cap it is exactly the weighted score, `method` "weighted".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from apps.bookings.models import TrainerProfile
from apps.common import ai

WEIGHTS = {"goals": 0.35, "language": 0.20, "availability": 0.20, "price": 0.15, "rating": 0.10}
# Share of the goal part given to the meaning of the texts when embeddings are available.
SEMANTIC_SHARE = 0.5


@dataclass(frozen=True)
class Wish:
    weekday: int  # 0 = Monday
    start: time
    end: time


@dataclass
class MatchRequest:
    goals: list[str] = field(default_factory=list)
    language: str = ""
    availability: list[Wish] = field(default_factory=list)
    time_zone: str = "UTC"
    budget: int | None = None  # per hour, cents


def _norm(text: str) -> str:
    return " ".join(str(text).lower().replace("-", " ").split())


def _goal_matches(goal: str, specialties: list[str]) -> bool:
    goal = _norm(goal)
    return any(goal in spec or spec in goal for spec in map(_norm, specialties) if spec)


def _minutes(windows: list[tuple[datetime, datetime]]) -> float:
    return sum((end - start).total_seconds() / 60 for start, end in windows)


def _wishes_in_gym_zone(wishes: list[Wish], member_zone: ZoneInfo, gym_zone: ZoneInfo, monday):
    """The member's weekly wishes as gym-local (weekday, start, end) minute ranges, using
    the coming week's dates so each day's real offset applies."""
    ranges = []
    for wish in wishes:
        day = monday + timedelta(days=wish.weekday)
        start = datetime.combine(day, wish.start, tzinfo=member_zone).astimezone(gym_zone)
        end = datetime.combine(day, wish.end, tzinfo=member_zone).astimezone(gym_zone)
        ranges.append((start.replace(tzinfo=None), end.replace(tzinfo=None)))
    return ranges


def _availability_share(wishes, trainer: TrainerProfile, monday) -> float:
    if not wishes:
        return 1.0
    offered = []
    for row in trainer.availability.all():
        day = monday + timedelta(days=row.weekday)
        offered.append((datetime.combine(day, row.start_time), datetime.combine(day, row.end_time)))
    wanted = _minutes(wishes)
    if wanted <= 0:
        return 1.0
    overlap = 0.0
    for w0, w1 in wishes:
        for o0, o1 in offered:
            start, end = max(w0, o0), min(w1, o1)
            if end > start:
                overlap += (end - start).total_seconds() / 60
    return min(overlap / wanted, 1.0)


def _trainer_text(trainer: TrainerProfile) -> str:
    specialties = ", ".join(s for s in trainer.specialties if s)
    return "\n".join(part for part in (trainer.bio.strip(), specialties) if part)


def _similarities(goals: list[str], trainers) -> dict[int, float] | None:
    """Cosine similarity (clamped to 0..1) of the goals' text with each trainer's bio and
    specialties, by trainer id; None when embeddings are off or unavailable."""
    if not goals or not ai.embeddings_enabled():
        return None
    texts = {t.pk: _trainer_text(t) for t in trainers}
    with_text = [pk for pk, text in texts.items() if text]
    vectors = ai.embed([", ".join(goals)] + [texts[pk] for pk in with_text])
    if vectors is None:
        return None
    found = {
        pk: max(0.0, ai.cosine(vectors[0], v)) for pk, v in zip(with_text, vectors[1:], strict=True)
    }
    return {pk: min(found.get(pk, 0.0), 1.0) for pk in texts}


def trainer_match(*, request: MatchRequest, gym_zone: ZoneInfo, today: date, trainers=None) -> dict:
    """{"method": "embedding" | "weighted", "results": [...]}: every active trainer with a
    score (0-100), its parts and the reasons, best first."""
    if trainers is None:
        trainers = TrainerProfile.objects.filter(is_active=True).prefetch_related("availability")
    trainers = list(trainers)
    member_zone = ZoneInfo(request.time_zone or "UTC")
    monday = today + timedelta(days=7 - today.weekday())
    wishes = _wishes_in_gym_zone(request.availability, member_zone, gym_zone, monday)
    goals = [g for g in (str(g).strip() for g in request.goals) if g]
    similarities = _similarities(goals, trainers)
    results = []
    for trainer in trainers:
        reasons = []
        matched = [g for g in goals if _goal_matches(g, trainer.specialties)]
        goal_part = len(matched) / len(goals) if goals else 0.5
        if matched:
            reasons.append(_("Specialises in %(goals)s.") % {"goals": ", ".join(matched)})
        elif goals:
            reasons.append(_("No specialty matches your goals."))
        if similarities is not None:
            similarity = similarities[trainer.pk]
            goal_part = (1 - SEMANTIC_SHARE) * goal_part + SEMANTIC_SHARE * similarity
            reasons.append(
                _("Bio and specialties are %(pct)s%% similar in meaning to your goals.")
                % {"pct": round(similarity * 100)}
            )
        language = (request.language or "").strip().lower()
        speaks = [lang.lower() for lang in trainer.languages]
        if not language:
            language_part = 0.5
        elif language in speaks:
            language_part = 1.0
            reasons.append(_("Speaks your language (%(lang)s).") % {"lang": language})
        else:
            language_part = 0.0
            reasons.append(_("Does not list your language (%(lang)s).") % {"lang": language})
        availability_part = _availability_share(wishes, trainer, monday)
        if wishes:
            reasons.append(
                _("Works %(pct)s%% of the hours you asked for.")
                % {"pct": round(availability_part * 100)}
            )
        price = trainer.hourly_price
        if not request.budget:
            price_part = 1.0
        elif price <= request.budget:
            price_part = 1.0
            reasons.append(_("Within your budget."))
        else:
            over = (price - request.budget) / request.budget
            price_part = max(0.0, 1.0 - over)
            reasons.append(_("%(pct)s%% over your budget.") % {"pct": round(over * 100)})
        if trainer.rating is not None:
            rating_part = float(trainer.rating) / 5
            reasons.append(_("Rated %(rating)s of 5.") % {"rating": trainer.rating})
        else:
            rating_part = 0.5
        parts = {
            "goals": goal_part,
            "language": language_part,
            "availability": availability_part,
            "price": price_part,
            "rating": rating_part,
        }
        score = sum(WEIGHTS[name] * value for name, value in parts.items())
        results.append(
            {
                "trainer": trainer,
                "score": round(score * 100, 1),
                "parts": {name: round(value, 3) for name, value in parts.items()},
                "reasons": reasons,
            }
        )
    results.sort(key=lambda r: (-r["score"], r["trainer"].display_name))
    return {"method": "weighted" if similarities is None else "embedding", "results": results}
