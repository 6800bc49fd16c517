"""The probe configuration form of the environment settings pages."""

from django import forms
from django.core.exceptions import ValidationError

from apps.checklists.models import Severity, TemplateItem
from apps.probes.models import KIND_CHOICES


class ProbeConfigForm(forms.Form):
    """Secrets are write-only: the field never shows what is stored."""

    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=KIND_CHOICES)
    target = forms.CharField(
        max_length=500,
        help_text="A URL, host:port or DSN. Put passwords in the secret field.",
    )
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="KEY=VALUE, one per line, e.g. expect_status=200.",
    )
    timeout = forms.FloatField(
        initial=10.0, min_value=0.5, max_value=30, help_text="Seconds."
    )
    enabled = forms.BooleanField(required=False, initial=True)
    severity = forms.ChoiceField(
        choices=Severity.choices,
        initial=Severity.BLOCKING,
        required=False,
        help_text="Advisory: a failing result warns on the release page and never "
        "blocks the release.",
    )
    secret = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(
            render_value=False, attrs={"autocomplete": "new-password"}
        ),
        help_text="Stored encrypted and never shown again. Leave empty to keep "
        "the stored one.",
    )
    remove_secret = forms.BooleanField(required=False, label="Remove the secret")
    secret_env = forms.CharField(
        required=False,
        max_length=100,
        label="Or read the secret from this variable",
        help_text="An environment variable of the worker set aside for probes: "
        "its name starts with SHIPSHAPE_PROBE_SECRET_, or the operator lists it "
        "in PROBE_SECRET_ENV_ALLOWED.",
    )
    verifies = forms.ModelMultipleChoiceField(
        queryset=TemplateItem.objects.none(),
        required=False,
        help_text="Checklist items a passing result proves.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, items, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["verifies"].queryset = items
        self.fields["verifies"].label_from_instance = lambda item: (
            f"{item.text} ({item.phase.template})"
        )

    def clean_options(self) -> dict[str, str]:
        options = {}
        for number, line in enumerate(self.cleaned_data["options"].splitlines(), 1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise ValidationError(f"Line {number} is not KEY=VALUE.")
            options[key.strip()] = value.strip()
        return options

    def service_arguments(self) -> dict:
        """The cleaned data as probe_config_save() takes it."""
        data = dict(self.cleaned_data)
        remove = data.pop("remove_secret")
        secret = data.pop("secret")
        data["secret"] = "" if remove else (secret or None)
        data["verifies"] = list(data["verifies"])
        data["severity"] = data["severity"] or None  # left out: kept as stored
        return data
