"""What a motivation message must be before a member sees it, checked in code (the model's
own promises are not trusted): at most 280 characters, written in the member's language,
and free of medical or diet claims. The library passes the same checks (a test says so).

Language: a stop-word score. Each language's list below keeps only the words no other
of the four languages uses ("de", "la", "que", "en" say nothing between es and fr), and
the message must score at least one word of its language and no fewer than any other
language. Short greetings ("Bravo !") have no stop word at all: they are not written in
the library, and a model's answer that short is rejected too (a wrong guess costs one
library message, a wrong language a confused member).

Medical and diet claims: a deny-list of word beginnings per language (diet, calories,
weight loss, supplements, medicine, illness, cures...), matched on word starts after
folding case, checked for the message's language and for English (models slip into it).
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 280
LANGUAGES = ("en", "es", "fr", "de")

_STOP_WORDS = {
    "en": """the and you your yours is are was were be been it its this that these those with
        for of to at on in up out today tomorrow every one more just what will have has had
        not don't can't we our us keep going come back again day days did do does get got
        now than then there here they them who why how when rest streak well done""",
    "es": """el los las del y tu tus tú es eres son fue ser has hoy mañana cada uno una más
        para por con sin pero muy bien sigue vuelve otra vez día días hecho hiciste lo
        nos vemos tienes eso esto esta este ahora también todo siempre racha descanso
        cuerpo semana un aquí así ya hay te parte""",
    "fr": """le les des et tu ton ta tes est es sont été être as aujourd'hui demain chaque un
        une plus pour par avec sans mais très bien continue reviens encore fois jour jours
        fait ce cette c'est on se vous nous maintenant aussi tout toujours série repos
        corps semaine qui te pas ne toi ça""",
    "de": """der die das den dem des und du dein deine deinen ist bist sind war sein hast
        heute morgen jeden jede ein eine einen mehr für mit ohne aber sehr gut weiter
        wieder noch mal tag tage tagen gemacht es wir uns jetzt auch alles immer serie
        ruhetag körper woche nicht auf zum zur dich dir ich""",
}


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower().replace("’", "'"))


def _distinctive() -> dict[str, frozenset[str]]:
    lists = {lang: set(_words(words)) for lang, words in _STOP_WORDS.items()}
    return {
        lang: frozenset(
            words - set().union(*(other for name, other in lists.items() if name != lang))
        )
        for lang, words in lists.items()
    }


STOP_WORDS = _distinctive()

# Entries are whole words or phrases; a trailing "*" matches any word beginning with it
# ("calorie*": calories, calorías is its own entry). "heal" is a whole word on purpose:
# "healthy habits" is fine.
_DENY = {
    "en": """diet* calorie* kcal weight_loss lose_weight losing_weight fat_burn* burn_fat
        carb carbs keto fasting detox* supplement* protein* medication* medicine* medical
        doctor* prescription* disease* illness* cure cures cured heal heals healing
        diagnos* therap* injur* pill pills""",
    "es": """dieta* calorí* caloria* adelgaz* perder_peso quemar_grasa* quema_grasa*
        carbohidrat* keto ayuno* detox* suplement* proteína* proteina* medicament*
        medicina* médic* medico* receta* enfermedad* curar* sanar* diagnós* diagnos*
        terapia* lesión* lesion* pastilla*""",
    "fr": """régime* regime* calori* maigri* perdre_du_poids perte_de_poids
        brûler_les_graisses brûle-graisse* glucide* keto jeûne* jeune_intermittent detox*
        détox* complément* protéin* médicament* medicament* médecin* medecin* médical*
        ordonnance* maladie* guérir guéri* soigner diagnostic* thérapi* blessure* pilule*""",
    "de": """diät* diaet* kalorie* abnehm* gewicht_verlieren gewichtsverlust* fett_verbrennen
        fettverbrennung* kohlenhydrat* keto fasten heilfasten detox* nahrungsergänzung*
        protein* medikament* medizin* arzt* ärzt* rezept* krankheit* heilen heilt heilung*
        diagnose* therapie* verletzung* tablette* pille*""",
}


def _deny_pattern(entries: str) -> re.Pattern:
    parts = []
    for entry in entries.split():
        prefix = entry.endswith("*")
        words = entry.rstrip("*").split("_")
        body = r"\s+".join(re.escape(word) for word in words)
        parts.append(body + (r"[\w'-]*" if prefix else r"(?![\w])"))
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + ")")


DENY = {lang: _deny_pattern(entries) for lang, entries in _DENY.items()}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower().replace("’", "'")


def language_scores(text: str) -> dict[str, int]:
    words = _words(unicodedata.normalize("NFC", text))
    return {lang: sum(w in STOP_WORDS[lang] for w in words) for lang in LANGUAGES}


def in_language(text: str, language: str) -> bool:
    scores = language_scores(text)
    mine = scores.get(language, 0)
    return mine >= 1 and all(score <= mine for score in scores.values())


def medical_claim(text: str, language: str) -> str:
    """The first denied word or phrase found (for the log), or ""."""
    folded = _fold(text)
    for lang in dict.fromkeys((language, "en")):
        pattern = DENY.get(lang)
        found = pattern.search(folded) if pattern else None
        if found:
            return found.group(0)
    return ""


def rejection(text: str, language: str) -> str:
    """Why `text` may not be shown to a member speaking `language` ("" when it may):
    `empty`, `too_long`, `wrong_language` or `medical`."""
    if not text or not text.strip():
        return "empty"
    if len(text) > MAX_CHARS:
        return "too_long"
    if medical_claim(text, language):
        return "medical"
    if not in_language(text, language):
        return "wrong_language"
    return ""
