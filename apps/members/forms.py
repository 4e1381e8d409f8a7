from django import forms
from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from apps.billing.tiers import Tier
from apps.members import importing
from apps.members.models import ExistingMembers, Member, MemberImport, MemberStatus
from apps.members.services import SELF_EDITABLE_FIELDS, STAFF_EDITABLE_FIELDS
from apps.tenants.models import TIME_ZONE_CHOICES


def _photo_within_limit(photo):
    if photo and getattr(photo, "size", 0) > settings.MAX_IMAGE_UPLOAD_BYTES:
        raise forms.ValidationError(_("The photo is larger than 5 MB."))
    return photo


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
        return _photo_within_limit(self.cleaned_data.get("photo"))

    def service_data(self) -> dict:
        """The changed values for the service (files only when a new one came)."""
        data = {name: self.cleaned_data[name] for name in self.changed_data}
        if data.get("photo") is False:  # the "clear" box
            data["photo"] = ""
        return data


PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


class ProfileForm(forms.Form):
    """What a member may change about themselves in the member web app (the service's
    SELF_EDITABLE_FIELDS), checked as the API checks them; the service checks again."""

    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    emergency_contact_name = forms.CharField(
        label=_("Emergency contact"), max_length=120, required=False
    )
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact phone"), max_length=32, required=False
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The gym's language")), *settings.LANGUAGES],
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 5 MB."),
        validators=[FileExtensionValidator(PHOTO_EXTENSIONS)],
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, member: Member, gym_time_zone: str, **kwargs):
        initial = {name: getattr(member, name) for name in SELF_EDITABLE_FIELDS}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["time_zone"].choices = [
            ("", _("The gym's (%(zone)s)") % {"zone": gym_time_zone}),
            *TIME_ZONE_CHOICES,
        ]

    def clean_photo(self):
        return _photo_within_limit(self.cleaned_data.get("photo"))

    def service_data(self) -> dict:
        """The changed values for `member_update` (the photo only when a new one came;
        "" when the member ticked "clear")."""
        data = {name: self.cleaned_data[name] for name in self.changed_data}
        if data.get("photo") is False:
            data["photo"] = ""
        elif "photo" in data and not data["photo"]:
            del data["photo"]
        return data


class MemberImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        allow_empty_file=True,  # the service says what is wrong with an empty file
        help_text=_(
            "One member per line, the first line naming the columns. Up to 10 MB and "
            "20,000 members; commas or semicolons; UTF-8 is best."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )


class MemberImportMappingForm(forms.Form):
    """One select per column of the file (which member field it is), then what to do
    with members already in the gym and the status of rows that have none."""

    on_existing = forms.ChoiceField(
        label=_("Members already in the gym (same email or member number)"),
        choices=ExistingMembers.choices,
        widget=forms.RadioSelect,
    )
    default_status = forms.ChoiceField(
        label=_("Status of new members when the file gives none"), choices=MemberStatus.choices
    )

    def __init__(self, *args, member_import: MemberImport, samples: list[list[str]], **kwargs):
        initial = {
            "on_existing": member_import.on_existing,
            "default_status": member_import.default_status,
        }
        for index, key in enumerate(member_import.mapping):
            initial[f"column_{index}"] = key
        super().__init__(*args, initial=initial, **kwargs)
        choices = [("", _("Do not import")), *importing.FIELD_LABELS.items()]
        self.columns = []
        for index, name in enumerate(member_import.header):
            field_name = f"column_{index}"
            self.fields[field_name] = forms.ChoiceField(
                label=name or _("Column %(n)s") % {"n": index + 1},
                choices=choices,
                required=False,
            )
            examples = [row[index] for row in samples if index < len(row) and row[index].strip()]
            self.columns.append((self[field_name], examples[:3]))

    @property
    def settings_fields(self):
        return [self["on_existing"], self["default_status"]]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(f"column_{i}") or "" for i in range(len(self.columns))]
