from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import STAFF_ROLES, Role

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in STAFF_ROLES]


class StaffCreateForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)
