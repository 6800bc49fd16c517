"""The bulk export form: date range, team, event type and format."""

from django import forms
from django.core.exceptions import ValidationError

from apps.accounts.models import Team
from apps.core.moments import DayField


class AuditExportForm(forms.Form):
    since = DayField(required=False, help_text="From this day (UTC).")
    until = DayField(required=False, help_text="To this day, inclusive.")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="All my teams"
    )
    action = forms.CharField(
        required=False,
        max_length=80,
        label="Event type",
        help_text="An action (release.transitioned) or a prefix (release).",
    )
    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("jsonl", "JSON Lines")], initial="csv"
    )

    def __init__(self, *args, teams=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError({"until": "Choose a day on or after the start."})
        data["action"] = (data.get("action") or "").strip().rstrip(".")
        return data
