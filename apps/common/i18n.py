"""Language helpers for what the gym says, whoever caused it."""

from django.conf import settings
from django.db import connection
from django.utils import translation


def in_gym_language():
    """Translations in the current gym's language (its `default_language`): for what the
    gym says to people whoever caused it, e.g. door messages, invoice lines."""
    gym = getattr(connection, "tenant", None)
    return translation.override(getattr(gym, "default_language", None) or settings.LANGUAGE_CODE)
