"""Query parameters of the notifications API, declared once: parsed and checked here (see
apps.common.api.filters for how a bad one is answered), listed in the OpenAPI schema."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.common.api.filters import ParameterFilterSet
from apps.notifications.models import Notification


class StrictBooleanField(forms.Field):
    """`true` or `false` (any case); anything else is refused, not read as "no filter"
    (django-filter's BooleanFilter turns `?unread=yes` into None silently)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise ValidationError(
                _("Not true or false."),
                code="not_a_boolean",
                params={"summary": _("Use true or false.")},
            )
        return text == "true"


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class NotificationFilter(ParameterFilterSet):
    unread = StrictBooleanFilter(
        help_text=gettext_lazy("true: only unread notifications; false: only read ones")
    )

    class Meta:
        model = Notification
        fields = []
