"""Settings for the uvicorn that the browser test starts: the test settings, with static
files served from the finders (no collectstatic in tests)."""

from config.settings.test import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
