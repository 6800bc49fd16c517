"""The template import form: a Markdown file or pasted text, for one team."""

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

    def __init__(self, *args, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

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
