"""Cleaning free text that comes from query strings before it reaches the database."""


def clean_query_text(value: str | None, *, max_length: int = 100) -> str:
    """Trimmed, without NUL characters (PostgreSQL rejects them), at most `max_length`."""
    return (value or "").replace("\x00", "").strip()[:max_length]
