"""Template forms: import (a Markdown file or pasted text, for one team) and the
sign-off options of a template."""

from django import forms

from apps.accounts.models import Team

MAX_SOURCE = 1024 * 1024


class ImportForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    name = forms.CharField(
        required=False,
        max_length=120,
        help_text="Leave empty to use the checklist's title. An existing name gets "
        "a new version.",
    )
    file = forms.FileField(required=False, label="Markdown file")
    source = forms.CharField(
        required=False,
        label="Or paste the Markdown",
        max_length=MAX_SOURCE,
        widget=forms.Textarea(
            attrs={"rows": 12, "spellcheck": "false", "class": "source"}
        ),
        strip=False,
    )

    def __init__(self, *args, teams, shared: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        if shared:
            # Administrators may also import a template every team shares.
            self.fields["team"].required = False
            self.fields["team"].empty_label = "Every team (shared)"

    def clean(self) -> dict:
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > MAX_SOURCE:
                raise forms.ValidationError("The file is over 1 MB.")
            try:
                data["source"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "The file is not UTF-8 text.")
                return data
        if not (data.get("source") or "").strip():
            raise forms.ValidationError("Choose a file or paste the Markdown.")
        return data


class OptionsForm(forms.Form):
    """Who may approve a release of this template. `team` appears for people who
    do not own the template: their change becomes that team's own version."""

    allow_creator_approval = forms.BooleanField(
        required=False,
        label="The person who created a release may approve it",
        help_text="Off: another person must approve (prevent approval by author).",
    )
    allow_shared_signoffs = forms.BooleanField(
        required=False,
        label="One person may approve more than one role",
    )
    advisory_items = forms.MultipleChoiceField(
        required=False,
        label="Advisory items",
        help_text="An open advisory item warns on the release page and never "
        "blocks the release; the others block until settled or waived.",
        widget=forms.CheckboxSelectMultiple,
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        label="Save as the own version of",
        empty_label=None,
    )

    def __init__(self, *args, teams, items: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["advisory_items"].choices = [(text, text) for text in items]
        if teams is None:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams
