from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GoalsConfig(AppConfig):
    """Goals, daily check-ins, streaks, badges, challenges and motivation messages."""

    name = "apps.goals"
    label = "goals"
    verbose_name = _("Goals")
