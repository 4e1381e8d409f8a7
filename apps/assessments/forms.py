from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    """The web twin of the app's upload: a test of the member's plan and a clip."""

    test = forms.TypedChoiceField(label=_("Test"), coerce=int)
    video = forms.FileField(
        label=_("Video"), widget=forms.ClearableFileInput(attrs={"accept": "video/*"})
    )

    def __init__(self, *args, specs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["test"].choices = [(spec.id, spec.name) for spec in specs]
