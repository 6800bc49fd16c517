"""Forms of the insights pages: a release's delivery facts, the period filter."""

from datetime import datetime

from django import forms
from django.utils.dateparse import parse_datetime

from apps.catalog.models import Service
from apps.incidents.forms import moment, release_id
from apps.releases.models import Release

KIND_CHOICES = [k for k in Release.Kind.choices if k[0] != Release.Kind.EMERGENCY]


class DeliveryForm(forms.Form):
    """A release's delivery facts; the service checks them against the release."""

    kind = forms.ChoiceField(choices=KIND_CHOICES)
    remediates = release_id("Remediates release")
    deploy_result = forms.ChoiceField(
        choices=[("", "Not deployed"), *Release.DeployResult.choices],
        required=False,
        label="Deploy result",
    )
    deploy_finished_at = moment("Deploy finished")
    rolled_back_to = release_id("Rolled back to release")
    commits = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One commit a line: its sha, a space, and when it was committed "
        "(ISO 8601, e.g. 3f2a9c1 2026-05-04T09:30:00Z).",
    )

    def __init__(self, *args, release: Release, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.release = release
        if release.kind == Release.Kind.EMERGENCY:
            # Set by the emergency exception; the service refuses a change.
            del self.fields["kind"]
        if release.status != Release.Status.ROLLED_BACK:
            del self.fields["rolled_back_to"]
        if release.deployed_at is None:
            del self.fields["deploy_result"], self.fields["deploy_finished_at"]

    def clean_commits(self) -> list[dict]:
        commits = []
        for number, line in enumerate(self.cleaned_data["commits"].splitlines(), 1):
            if not line.strip():
                continue
            sha, _, at = line.strip().partition(" ")
            moment_ = _moment(at.strip())
            if moment_ is None:
                raise forms.ValidationError(
                    f"Line {number}: give the sha, a space and an ISO 8601 time."
                )
            commits.append({"sha": sha, "committed_at": moment_})
        return commits

    def clean(self) -> dict:
        data = super().clean()
        for name in ("remediates", "rolled_back_to"):
            if name not in self.fields:
                continue
            if data.get(name) is None:
                data[name] = None
                continue
            scope = {"service_id": self.release.service_id}
            if name == "rolled_back_to":
                scope = {"environment_id": self.release.environment_id}
            release = Release.objects.filter(pk=data[name], **scope).first()
            if release is None:
                self.add_error(name, "No such release of the service.")
            else:
                data[name] = release
        if "deploy_result" in self.fields and not data.get("deploy_result"):
            data.pop("deploy_result", None)
        return data


def _moment(text: str) -> datetime | None:
    try:
        value = parse_datetime(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def commits_text(release: Release) -> str:
    return "\n".join(
        f"{c.sha} {c.committed_at.isoformat().replace('+00:00', 'Z')}"
        for c in release.commits.all()
    )


PERIODS = [(4, "4 weeks"), (12, "12 weeks"), (26, "26 weeks"), (52, "52 weeks")]


class InsightsFilterForm(forms.Form):
    """The insights page's filters: how many weeks back, and which service."""

    weeks = forms.TypedChoiceField(
        choices=PERIODS, coerce=int, initial=26, required=False, label="Period"
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, empty_label="All services"
    )

    def __init__(self, *args, services, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
