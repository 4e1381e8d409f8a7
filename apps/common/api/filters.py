"""Query parameters declared with django-filter FilterSets, answered in the API's one error
shape.

Some endpoints do not filter a queryset with their parameters (the timetable is JSON that
the database writes; a trainer's free slots are computed), yet their parameters deserve the
same declaration as any filter: a FilterSet parses and checks them, `filter_values()` turns
a bad one into the `invalid_filter` error, and `FilterSetSchema` shows them in the OpenAPI
schema."""

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend

from apps.common.errors import ApplicationError


class FilterSetSchema(DjangoFilterBackend):
    """Tells drf-spectacular which FilterSet each action reads (`filtersets = {"list": ...}`
    on the view; a detail action needs `@extend_schema(filters=True)` too). It leaves
    querysets alone: the view validates with `filter_values()`, so other actions of the
    viewset (retrieve, book) never see these parameters."""

    def get_filterset_class(self, view, queryset=None):
        return getattr(view, "filtersets", {}).get(getattr(view, "action", None))

    def filter_queryset(self, request, queryset, view):
        return queryset


def filter_values(filterset) -> dict:
    """The FilterSet's cleaned values. Otherwise an `invalid_filter` error about the first
    bad parameter in declaration order: its errors in `details`, and as the message the
    `summary` its ValidationError carries in `params` (a sentence saying what to send)."""
    if filterset.is_valid():
        return filterset.form.cleaned_data
    errors = filterset.form.errors.as_data()
    name = next(name for name in filterset.form.fields if name in errors)
    params = errors[name][0].params or {}
    raise ApplicationError(
        params.get("summary") or _("Some filters are not valid."),
        code="invalid_filter",
        details={name: [message for error in errors[name] for message in error.messages]},
    )
