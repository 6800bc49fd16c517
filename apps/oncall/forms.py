"""Forms of the on-call pages: the rotation and a holiday override."""

from django import forms

from apps.core.moments import DayField, MomentField

WEEKDAYS = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
]


class RotationForm(forms.Form):
    """Time zone, hand-over weekday and time, first day, and people in order."""

    time_zone = forms.CharField(
        max_length=60,
        required=False,
        help_text="Where hand-overs happen, e.g. Europe/Berlin; UTC when empty.",
    )
    handover_weekday = forms.TypedChoiceField(
        label="Hand-over day", choices=list(enumerate(WEEKDAYS)), coerce=int
    )
    handover_time = forms.TimeField(
        label="Hand-over time",
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    starts_on = DayField(
        label="First day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The first person's week starts then; it falls on the hand-over day.",
    )
    members = forms.CharField(
        label="People, in order",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="User names, one per line or comma-separated: engineers or leads "
        "of the team. Each takes a week in turn.",
    )

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"].strip() or "UTC"

    def clean_members(self) -> list[str]:
        return self.cleaned_data["members"].replace(",", " ").split()


class OverrideForm(forms.Form):
    """Someone covers the rotation from one moment to another."""

    user = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    starts_at = MomentField()
    ends_at = MomentField()
    reason = forms.CharField(required=False, max_length=200)
