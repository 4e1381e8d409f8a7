from django import template
from django.template.loader import render_to_string

from apps.portal import nav

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_nav(context):
    """The bottom tab bar: Home, the registered primary items, More. The current item is
    the one whose url name (or prefix) the page's url name starts with."""
    request = context["request"]
    name = getattr(request.resolver_match, "url_name", "") or ""
    current = "home" if name == "portal-home" else "more" if name == "portal-more" else ""
    for item in nav.items():
        if name.startswith(item.prefix or item.url_name):
            current = item.key
    primary_items = nav.primary_items()
    if current not in ("home", "more") and current not in {i.key for i in primary_items}:
        current = "more"  # a page reached through "More"
    member = getattr(request, "member", None)
    primary = [(item, item.badge(member) if item.badge and member else 0) for item in primary_items]
    return render_to_string(
        "portal/_nav.html", {"primary": primary, "current": current}, request=request
    )
