"""Forms of the notification pages: a new announcement (staff), preferences (members)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.notifications.models import Channel, Segment
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


QUIET_TIME_FORMATS = ["%H:%M"]


class PreferencesForm(forms.Form):
    """The member web app's notification preferences: email and push per category (the
    page shows them as a table), and quiet hours. What the API's PUT takes, as a form; the
    service checks it again."""

    quiet_start = forms.TimeField(
        label=_("From"),
        required=False,
        input_formats=QUIET_TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Until"),
        required=False,
        input_formats=QUIET_TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args, summary: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = summary["categories"]
        for category in self.categories:
            for channel in Channel.values:
                name = f"{category['key']}_{channel}"
                self.fields[name] = forms.BooleanField(
                    label=f"{category['label']}: {Channel(channel).label}", required=False
                )
                self.initial.setdefault(name, category["channels"][channel])
        self.initial.setdefault("quiet_start", summary["quiet_start"])
        self.initial.setdefault("quiet_end", summary["quiet_end"])

    def rows(self):
        """Per category: its label, whether it is transactional, its two boxes."""
        return [
            {
                "label": c["label"],
                "transactional": c["transactional"],
                "email": self[f"{c['key']}_email"],
                "push": self[f"{c['key']}_push"],
            }
            for c in self.categories
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if not self.has_error("quiet_start") and not self.has_error("quiet_end"):
            if (start is None) != (end is None):
                self.add_error(
                    "quiet_end" if start else "quiet_start",
                    _("Quiet hours need both a start and an end."),
                )
            elif start is not None and start == end:
                self.add_error("quiet_end", _("Quiet hours cannot start and end at the same time."))
        return data

    def channels(self) -> dict:
        return {
            c["key"]: {ch: self.cleaned_data[f"{c['key']}_{ch}"] for ch in Channel.values}
            for c in self.categories
        }

    def quiet_hours(self) -> tuple:
        return (self.cleaned_data["quiet_start"], self.cleaned_data["quiet_end"])
