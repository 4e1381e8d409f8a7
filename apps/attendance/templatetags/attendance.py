"""`{% member_attendance member as x %}`: lets the member page show visit counts without
the members app importing the door's code."""

from django import template

from apps.attendance.selectors import member_attendance as _member_attendance

register = template.Library()


@register.simple_tag
def member_attendance(member):
    return _member_attendance(member=member)
