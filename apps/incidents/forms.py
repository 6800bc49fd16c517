"""The incident form of the incident pages."""

from django import forms
from django.contrib.auth.models import User

from apps.accounts import permissions
from apps.catalog.models import Service
from apps.core.moments import MomentField
from apps.incidents.models import Incident
from apps.releases.models import Release

FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def moment(label: str, *, required: bool = False) -> MomentField:
    """A date and time in the browser's picker, read as UTC."""
    return MomentField(
        label=label,
        required=required,
        input_formats=FORMATS,
        help_text="UTC.",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )


def release_id(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The release's number, as in its address (/releases/NUMBER/).",
    )


class IncidentForm(forms.Form):
    """An incident; the service is chosen once, at creation."""

    service = forms.ModelChoiceField(queryset=Service.objects.none())
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Incident.Severity.choices, initial="sev3")
    user_facing = forms.BooleanField(
        required=False, initial=True, label="Users noticed it"
    )
    started_at = moment("Started", required=True)
    detected_at = moment("Detected")
    mitigated_at = moment("Mitigated")
    resolved_at = moment("Resolved")
    caused_by = release_id("Caused by release")
    remediated_by = release_id("Remediated by release")

    def __init__(self, *args, user: User, incident: Incident | None = None, **kw):
        super().__init__(*args, **kw)
        self.incident = incident
        if incident is not None:
            del self.fields["service"]
            return
        teams = permissions.team_ids_for(user)
        services = Service.objects.order_by("name")
        if teams is not None:
            services = services.filter(
                team__memberships__user=user,
                team__memberships__role__in=permissions.ACTIONS["record_incident"],
            )
        self.fields["service"].queryset = services

    def clean(self) -> dict:
        data = super().clean()
        service_id = (
            self.incident.service_id
            if self.incident is not None
            else getattr(data.get("service"), "pk", None)
        )
        for name in ("caused_by", "remediated_by"):
            if data.get(name) is None or service_id is None:
                data[name] = None
                continue
            release = Release.objects.filter(
                pk=data[name], service_id=service_id
            ).first()
            if release is None:
                self.add_error(name, "No such release of the service.")
            else:
                data[name] = release
        return data
