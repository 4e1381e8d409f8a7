from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.portal import nav


class NotificationsConfig(AppConfig):
    """Telling people things: in-app, email, web push and FCM; preferences, reminders,
    announcements. Every feature goes through `services.notify`."""

    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Imported here: both need the models loaded.
        from apps.notifications import member, signals  # noqa: PLC0415

        # The ESP's tracking webhook (bounces, complaints, unsubscribes).
        signals.connect()
        # The member web app: the inbox tab with the unread count.
        nav.register_item(
            nav.NavItem(
                "inbox",
                _("Inbox"),
                "member-inbox",
                "bell",
                40,
                primary=True,
                prefix="member-inbox",
                badge=member.unread_badge,
            )
        )
