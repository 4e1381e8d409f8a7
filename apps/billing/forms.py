"""Forms of billing's pages: the member web app's membership page and the staff's plan
form (prices typed in major units of the gym's currency)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from apps.billing.models import PlanInterval
from apps.billing.money import currency_decimals, parse_major, to_major
from apps.billing.services import MAX_PRICE_MINOR
from apps.billing.tiers import Tier


class FreezeForm(forms.Form):
    """When a freeze starts and how long it lasts; the service checks the gym's rules
    (shortest and longest freeze, start within 90 days)."""

    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=365)


class PlanChoiceForm(forms.Form):
    plan = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class MoneyField(forms.Field):
    """An amount typed in major units of the gym's currency ("49", "49.90"), cleaned to
    integer minor units (4990). The label and help say which currency and how."""

    widget = forms.TextInput

    def __init__(self, *, currency: str, maximum_minor: int, **kwargs):
        self.currency = currency
        self.maximum_minor = maximum_minor
        places = currency_decimals(currency)
        example = "49" if not places else "49." + "9" * places
        super().__init__(**kwargs)
        self.help_text = format_lazy(
            _("In {currency}, e.g. {example}."), currency=currency.upper(), example=example
        )
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": 32})

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return str(to_major(value, self.currency))
        return value

    def to_python(self, value):
        value = str(value).strip() if value is not None else ""
        if not value:
            return None
        if len(value) > 32:
            raise forms.ValidationError(_("Enter an amount like 49 or 49.90."), code="invalid")
        try:
            return parse_major(value, self.currency, maximum_minor=self.maximum_minor)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


class PlanForm(forms.Form):
    """A membership plan as staff type it: prices in major units of the gym's currency.
    The service (`plan_create` / `plan_update`) checks the rules that span fields."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    interval = forms.ChoiceField(label=_("Billed"), choices=PlanInterval.choices)
    tier = forms.ChoiceField(
        label=_("Tier granted"),
        choices=Tier.choices,
        help_text=_("What members on this plan may do in the app."),
    )
    class_credits = forms.IntegerField(
        label=_("Class credits per period"),
        min_value=0,
        max_value=1000,
        initial=0,
        help_text=_("0: classes are not paid with credits. A pack needs at least one."),
    )
    trial_days = forms.IntegerField(label=_("Trial days"), min_value=0, max_value=365, initial=0)
    contract_min_months = forms.IntegerField(
        label=_("Minimum contract (months)"), min_value=0, max_value=60, initial=0
    )
    sold_online = forms.BooleanField(
        label=_("Sold online"),
        required=False,
        initial=True,
        help_text=_("Members can join it themselves in the app."),
    )

    field_order = [
        "name",
        "description",
        "price_minor",
        "interval",
        "setup_fee_minor",
        "tier",
        "class_credits",
        "trial_days",
        "contract_min_months",
        "sold_online",
    ]

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        code = currency.upper()
        self.fields["price_minor"] = MoneyField(
            currency=currency,
            maximum_minor=MAX_PRICE_MINOR,
            label=format_lazy(_("Price ({currency})"), currency=code),
        )
        self.fields["setup_fee_minor"] = MoneyField(
            currency=currency,
            maximum_minor=MAX_PRICE_MINOR,
            required=False,
            label=format_lazy(_("Setup fee ({currency})"), currency=code),
        )
        self.order_fields(self.field_order)

    def clean_setup_fee_minor(self):
        return self.cleaned_data.get("setup_fee_minor") or 0

    def add_service_errors(self, exc) -> None:
        """An ApplicationError of the plan service, shown on the fields it names."""
        for field, errors in (exc.details or {}).items():
            self.add_error(field if field in self.fields else None, errors)
        if not exc.details:
            self.add_error(None, exc.message)
