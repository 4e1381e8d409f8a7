"""Forms of the staff pages: a new announcement."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.notifications.models import Segment
from apps.notifications.services.announcements import BODY_MAX, TITLE_MAX


class AnnouncementForm(forms.Form):
    """Title, text and who receives it. The segment's value comes from the one field that
    goes with it (tag, class or plan); the service checks it again in this gym."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Text"), max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
    segment = forms.ChoiceField(label=_("Recipients"), choices=Segment.choices)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    session = forms.ChoiceField(label=_("Class"), required=False)
    plan = forms.ChoiceField(label=_("Plan"), required=False)

    VALUE_FIELDS = {Segment.TAG: "tag", Segment.SESSION: "session", Segment.PLAN: "plan"}

    def __init__(self, *args, options: dict, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        for name in ("tag", "session", "plan"):
            self.fields[name].choices = blank + list(options.get(name, []))
        self.fields["tag"].help_text = _("For “Members with a tag”.")
        self.fields["session"].help_text = _(
            "For “Attendees of one class”: booked or attended, classes of the last week "
            "and the next two."
        )
        self.fields["plan"].help_text = _("For “Members of one plan”: a live subscription.")

    def clean(self):
        data = super().clean()
        segment = data.get("segment")
        field = self.VALUE_FIELDS.get(segment)
        data["segment_value"] = ""
        if field:
            if not data.get(field):
                self.add_error(field, _("Choose one."))
            else:
                data["segment_value"] = data[field]
        return data
