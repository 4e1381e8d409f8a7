"""The written library of motivation messages: every language x tone x situation has at
least 6 messages (the no-repeat rule needs 6), each short and passing the same guardrails
as the AI's answers in its own language; and the guardrails themselves."""

import json

import pytest

from apps.goals.models import Situation, Tone
from apps.goals.services.motivation import LIBRARY_DIR, NO_REPEAT, library
from apps.goals.services.motivation_guardrails import (
    LANGUAGES,
    MAX_CHARS,
    language_scores,
    medical_claim,
    rejection,
)

LONG_NAME = "Maximiliana"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_tone_and_situation_has_six_good_messages(language):
    messages = library(language)
    assert set(messages) == set(Tone.values)
    for tone in Tone.values:
        assert set(messages[tone]) == set(Situation.values)
        for situation in Situation.values:
            texts = messages[tone][situation]
            assert len(texts) >= NO_REPEAT + 1, (tone, situation)
            assert len(set(texts)) == len(texts), (tone, situation)
            for text in texts:
                named = text.replace("{name}", LONG_NAME)
                assert "{" not in named and "}" not in named, text
                assert len(named) <= MAX_CHARS, text
                assert rejection(named, language) == "", (tone, situation, text)


def test_library_files_are_the_four_languages_only():
    assert sorted(p.stem for p in LIBRARY_DIR.glob("*.json")) == sorted(LANGUAGES)
    for path in LIBRARY_DIR.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "language", "reason"),
    [
        ("", "en", "empty"),
        ("   ", "en", "empty"),
        ("Keep going today, Ana. " * 20, "en", "too_long"),
        ("Nice work today, Ana. Keep the rhythm going.", "en", ""),
        ("Nice work today, Ana. Keep the rhythm going.", "de", "wrong_language"),
        ("Buen trabajo hoy, Ana. Sigue con el ritmo.", "fr", "wrong_language"),
        ("Bravo !", "fr", "wrong_language"),  # no evidence of any language
        ("Great session! Cut your calories to lose weight.", "en", "medical"),
        ("Sigue una dieta estricta para adelgazar.", "es", "medical"),
        ("Suis un régime strict pour maigrir.", "fr", "medical"),
        ("Mach eine Diät zum Abnehmen.", "de", "medical"),
        # English claims slip into other languages' answers: checked too.
        ("Buen trabajo hoy, sigue la keto diet.", "es", "medical"),
    ],
)
def test_guardrails(text, language, reason):
    assert rejection(text, language) == reason


def test_deny_list_matches_words_not_parts_of_words():
    assert medical_claim("Healthy habits are built every day.", "en") == ""
    assert medical_claim("Rest helps you heal.", "en") == "heal"
    assert medical_claim("Take your pills.", "en") == "pills"


def test_shared_words_say_nothing_about_the_language():
    # "de", "la", "que" are both Spanish and French: neither scores for them.
    assert language_scores("de la que") == {"en": 0, "es": 0, "fr": 0, "de": 0}
