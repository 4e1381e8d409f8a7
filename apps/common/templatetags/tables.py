"""`{% headings _("Name") _("Email") as headings %}`: the column headings a list page hands
to `includes/table.html` (the template language has no list literal)."""

from django import template

register = template.Library()


@register.simple_tag
def headings(*labels) -> list:
    return list(labels)
