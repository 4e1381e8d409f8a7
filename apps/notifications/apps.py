from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Telling people things: in-app, email, web push and FCM; preferences, reminders,
    announcements. Every feature goes through `services.notify`."""

    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from apps.notifications import signals  # noqa: PLC0415 - models must be loaded first

        # The ESP's tracking webhook (bounces, complaints, unsubscribes).
        signals.connect()
