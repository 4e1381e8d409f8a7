from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.dashboard import checklist
from apps.portal import nav


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self):
        # Imported here: the member pages' module needs the models loaded.
        from apps.billing import member  # noqa: PLC0415
        from apps.billing.selectors import setup_billing_done  # noqa: PLC0415

        checklist.register_step(
            checklist.Step(
                "billing",
                _("Connect Stripe and add your plans"),
                _("Members then join and pay online; you see payments and failed invoices here."),
                "billing-home",
                30,
                setup_billing_done,
            )
        )

        nav.register_item(
            nav.NavItem(
                "membership",
                _("Membership"),
                "member-membership",
                "card",
                50,
                prefix="member-membership",
            )
        )
        nav.register_card(
            nav.HomeCard("membership", "billing/member/_home_card.html", 50, member.home_card)
        )
