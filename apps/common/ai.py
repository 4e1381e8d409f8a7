"""Optional AI calls through the `openai` SDK, against OpenAI or any compatible server
(settings OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_EMBEDDING_MODEL).

Every function here returns None instead of raising when the feature is off (no key or
model), the call fails (timeout, connection, HTTP error, malformed answer) or the gym's
daily budget of calls is spent; callers then use their deterministic method and say so.

Spend is bounded twice: identical texts are cached per gym (the key carries the schema and
a hash of model + text; django-tenants' key function adds the schema again), and each gym
may make OPENAI_DAILY_CALLS_PER_GYM calls per UTC day (a cache counter; cache hits are
free). Calls are not retried and time out after OPENAI_TIMEOUT_SECONDS: a member waits
for a ranked list, not for the AI.
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)

EMBEDDING_CACHE_SECONDS = 30 * 24 * 3600
MAX_TEXT_CHARS = 4000
MAX_TEXTS = 256


def embeddings_enabled() -> bool:
    return bool(settings.OPENAI_API_KEY and settings.OPENAI_EMBEDDING_MODEL)


def _client():
    from openai import OpenAI  # noqa: PLC0415 - imported on use: most requests never need it

    return OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL or None,
        timeout=settings.OPENAI_TIMEOUT_SECONDS,
        max_retries=0,
    )


def _text_key(schema: str, model: str, text: str) -> str:
    digest = hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()
    return f"ai:embedding:{schema}:{digest}"


def calls_key(schema: str) -> str:
    """The cache counter of the gym's API calls today (UTC)."""
    return f"ai:calls:{schema}:{datetime.now(UTC):%Y-%m-%d}"


def _take_call(schema: str) -> bool:
    """Count one API call against the gym's daily cap; False when the cap is reached."""
    key = calls_key(schema)
    cache.add(key, 0, 2 * 24 * 3600)
    return cache.incr(key) <= settings.OPENAI_DAILY_CALLS_PER_GYM


def _valid(vectors, count: int) -> bool:
    if len(vectors) != count or not vectors:
        return False
    size = len(vectors[0])
    return size > 0 and all(
        len(v) == size and all(isinstance(x, float | int) and math.isfinite(x) for x in v)
        for v in vectors
    )


def embed(texts: list[str]) -> list[list[float]] | None:
    """One embedding vector per text (same order), or None (see the module docstring).
    Texts are stripped and cut to MAX_TEXT_CHARS; empty texts are not allowed."""
    if not embeddings_enabled():
        return None
    texts = [str(t).strip()[:MAX_TEXT_CHARS] for t in texts]
    if not texts or len(texts) > MAX_TEXTS or not all(texts):
        return None
    model = settings.OPENAI_EMBEDDING_MODEL
    schema = connection.schema_name
    keys = [_text_key(schema, model, t) for t in texts]
    try:
        found = cache.get_many(keys)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            if not _take_call(schema):
                logger.warning("AI daily call cap reached for %s; using the fallback", schema)
                return None
            response = _client().embeddings.create(model=model, input=missing)
            rows = sorted(response.data, key=lambda row: row.index)
            vectors = [list(row.embedding) for row in rows]
            if not _valid(vectors, len(missing)):
                logger.warning("AI embeddings answer malformed (%s vectors)", len(vectors))
                return None
            fresh = {_text_key(schema, model, t): v for t, v in zip(missing, vectors, strict=True)}
            cache.set_many(fresh, EMBEDDING_CACHE_SECONDS)
            found.update(fresh)
        vectors = [found[k] for k in keys]
        return vectors if _valid(vectors, len(texts)) else None
    except Exception:  # timeout, connection, API or cache error: fall back
        logger.warning("AI embeddings unavailable; using the fallback", exc_info=True)
        return None


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
