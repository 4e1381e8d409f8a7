"""`{% unread_notifications as unread %}`: the logged-in user's unread count for the bell
in the dashboard nav. One indexed count query, only on pages that show the bell."""

from django import template

from apps.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return selectors.unread_count(user=user)
