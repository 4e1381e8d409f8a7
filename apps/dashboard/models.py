from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SetupSkip(models.Model):
    """A set-up checklist step the gym chose to skip (see apps.dashboard.checklist)."""

    key = models.CharField(_("step"), max_length=40, unique=True)
    skipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    skipped_at = models.DateTimeField(_("skipped at"), auto_now_add=True)

    class Meta:
        verbose_name = _("skipped set-up step")
        verbose_name_plural = _("skipped set-up steps")

    def __str__(self) -> str:
        return self.key
