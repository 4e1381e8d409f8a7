"""The member's goals on the staff member page (templates/members/detail.html includes
it for staff with goals.view_goal): progress, status and pace, read-only."""

from django import template

from apps.goals.selectors.goals import goals_for_staff

register = template.Library()


@register.inclusion_tag("goals/staff/_member_goals.html")
def member_goals(member):
    return {"member": member, "goals": goals_for_staff(member)}
