"""The webhook page's forms; apps.notifications.services checks and writes."""

from django import forms

from apps.accounts.models import Team
from apps.notifications.models import EVENTS


class WebhookChangeForm(forms.Form):
    """What a lead may change of a webhook: everything but its team and secret."""

    name = forms.CharField(max_length=100, help_text="e.g. Deploy channel.")
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text="Where each event is POSTed. Loopback and private addresses are "
        "refused unless the egress policy allows them.",
        widget=forms.URLInput,
    )
    events = forms.MultipleChoiceField(
        choices=EVENTS, widget=forms.CheckboxSelectMultiple
    )
    slack = forms.BooleanField(
        label="Slack-compatible body",
        required=False,
        help_text='Send {"text": …} instead of the signed JSON event.',
    )
    active = forms.BooleanField(
        required=False,
        initial=True,
        help_text="A paused webhook gets no new deliveries.",
    )


class WebhookForm(WebhookChangeForm):
    """A new webhook of one of the teams the user leads."""

    team = forms.TypedChoiceField(coerce=int)
    secret = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput,
        help_text="Signs every body (X-Shipshape-Signature). Leave empty to have "
        "one generated; it is shown once.",
    )
    field_order = ["team", "name", "url", "events", "slack", "secret"]

    def __init__(self, *args, teams: list[Team], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["active"]
        self.teams = {team.pk: team for team in teams}
        self.fields["team"].choices = [(team.pk, team.name) for team in teams]

    def clean_team(self) -> Team:
        return self.teams[self.cleaned_data["team"]]
