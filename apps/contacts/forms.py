"""The contact and support resource forms of the team settings pages: they shape
the input; the contacts services check the row and save it."""

from django import forms

from apps.accounts.models import Team
from apps.catalog.models import Service
from apps.contacts.models import Contact, SupportResource


class _TeamForm(forms.ModelForm):
    """A form whose `service` is one of the team's, or none (the whole team)."""

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        field.queryset = Service.objects.filter(team=team).order_by("name")
        field.empty_label = "The whole team"
        field.required = False

    def _post_clean(self) -> None:
        """The service checks the row, not the form."""


class ContactForm(_TeamForm):
    class Meta:
        model = Contact
        fields = ["role", "name", "email", "phone", "escalation_order", "service"]
        help_texts = {"escalation_order": "1 is called first."}


class SupportResourceForm(_TeamForm):
    url = forms.URLField(label="URL", max_length=200, assume_scheme="https")

    class Meta:
        model = SupportResource
        fields = ["kind", "label", "url", "service"]
