"""Forms of the on-call page: the rotation and a holiday override."""

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

    time_zone = forms.CharField(max_length=60, required=False)
    handover_weekday = forms.TypedChoiceField(
        choices=list(enumerate(WEEKDAYS)), coerce=int
    )
    handover_time = forms.TimeField()
    starts_on = DayField()
    members = forms.CharField(
        required=False,
        max_length=5000,
        help_text="User names, one per line or comma-separated.",
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
