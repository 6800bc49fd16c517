"""The audit log's filters and the bulk export form (the same filters, a format)."""

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError

from apps.accounts.models import Team
from apps.core.moments import DayField
from apps.records import sentences


def object_choices() -> list[tuple[str, str]]:
    """Kinds of object an event can be about: every model the sentences name."""
    kinds = {
        model._meta.label_lower: sentences.NOUNS[model._meta.model_name].capitalize()
        for model in apps.get_models()
        if model._meta.model_name in sentences.NOUNS
    }
    return [("", "Any object"), *sorted(kinds.items(), key=lambda kind: kind[1])]


class AuditFilterForm(forms.Form):
    """What the audit log and the export narrow events by."""

    since = DayField(required=False, label="From", help_text="From this day (UTC).")
    until = DayField(required=False, label="To", help_text="To this day, inclusive.")
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="All my teams"
    )
    actor = forms.CharField(
        required=False, max_length=150, label="Who", help_text="Part of a name."
    )
    action = forms.CharField(
        required=False,
        max_length=80,
        label="Event type",
        help_text="An action (release.transitioned) or a prefix (release).",
    )
    object = forms.ChoiceField(required=False, label="Object", choices=())
    version = forms.CharField(
        required=False, max_length=64, label="Release", help_text="Part of a version."
    )
    release = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, teams=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams
        self.fields["object"].choices = object_choices()

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError({"until": "Choose a day on or after the start."})
        data["action"] = (data.get("action") or "").strip().rstrip(".")
        for name in ("actor", "version"):
            data[name] = (data.get(name) or "").strip()
        return data

    def filters(self) -> dict:
        """The cleaned filters as audit_events_filter takes them."""
        data = self.cleaned_data
        return {
            "since": data["since"],
            "until": data["until"],
            "action": data["action"],
            "actor": data["actor"],
            "target_type": data["object"],
            "release_id": data["release"],
            "version": data["version"],
        }


class AuditLogForm(AuditFilterForm):
    """The audit log's filters: an action is chosen by its label."""

    action = forms.ChoiceField(required=False, label="Event", choices=())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [
            ("", "Any event"),
            *sentences.action_choices(),
        ]


class AuditExportForm(AuditFilterForm):
    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("jsonl", "JSON Lines")], initial="csv"
    )
