"""The service and environment forms of the team settings pages: they shape the
input; the catalog services validate the row and save it."""

from django import forms

from apps.catalog.models import Environment, Service


def _url(label: str) -> forms.URLField:
    # Django 6 makes https the default scheme of a typed address; do so already.
    return forms.URLField(
        required=False, label=label, max_length=200, assume_scheme="https"
    )


class ServiceForm(forms.ModelForm):
    repository_url = _url("Repository URL")

    class Meta:
        model = Service
        fields = ["name", "slug", "description", "repository_url"]
        help_texts = {"slug": "Its address; made from the name when left empty."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def _post_clean(self) -> None:
        """The service checks the row (uniqueness included), not the form."""


class EnvironmentForm(forms.ModelForm):
    base_url = _url("Base URL")
    api_url = _url("API URL")

    class Meta:
        model = Environment
        fields = [
            "name",
            "base_url",
            "api_url",
            "k8s_namespace",
            "probe_zone",
            "production",
            "notes",
        ]
        labels = {"production": "Production"}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:
        """The service checks the row (uniqueness included), not the form."""
