from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.billing.tiers import Tier
from apps.members.models import Member, MemberStatus
from apps.members.services import STAFF_EDITABLE_FIELDS


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"placeholder": _("Name, email, phone or number"), "type": "search"}
        ),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *MemberStatus.choices]
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("Any tier")), *Tier.choices]
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=32)


class MemberForm(forms.ModelForm):
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate tags with commas.")
    )

    class Meta:
        model = Member
        fields = STAFF_EDITABLE_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "joined_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags)
        households = Member.objects.filter(household__isnull=True)
        if self.instance.pk:
            households = households.exclude(pk=self.instance.pk)
        self.fields["household"].queryset = households

    def clean_tags(self):
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and getattr(photo, "size", 0) > settings.MAX_IMAGE_UPLOAD_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        return photo

    def service_data(self) -> dict:
        """The changed values for the service (files only when a new one came)."""
        data = {name: self.cleaned_data[name] for name in self.changed_data}
        if data.get("photo") is False:  # the "clear" box
            data["photo"] = ""
        return data
