"""Forms of the release pages: filters, a new release, ticking, status changes."""

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q

from apps.accounts import permissions
from apps.accounts.models import Membership
from apps.catalog.models import Environment, Service
from apps.checklists import selectors as checklist_selectors
from apps.checklists.models import ChecklistTemplate
from apps.core.moments import DayField, MomentField
from apps.releases.models import Release, ReleaseItem

MAX_TEXT = 5000


class ItemStateForm(forms.Form):
    """A checkbox: an unticked one sends no state at all, which means open."""

    state = forms.ChoiceField(choices=ReleaseItem.State.choices, required=False)
    note = forms.CharField(required=False, max_length=MAX_TEXT)

    def clean_state(self) -> str:
        return self.cleaned_data["state"] or ReleaseItem.State.OPEN


class NoteStateForm(forms.Form):
    """Not applicable or blocked: both need a note, which the service insists on."""

    state = forms.ChoiceField(
        choices=[
            (ReleaseItem.State.NOT_APPLICABLE, "Not applicable"),
            (ReleaseItem.State.BLOCKED, "Blocked"),
        ],
        widget=forms.RadioSelect,
        initial=ReleaseItem.State.NOT_APPLICABLE,
        label="Mark as",
    )
    note = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransitionForm(forms.Form):
    target = forms.ChoiceField(choices=Release.Status.choices)
    reason = forms.CharField(required=False, max_length=MAX_TEXT)
    notes = forms.CharField(required=False, max_length=MAX_TEXT)
    override = forms.BooleanField(required=False)


def _team_ids_where(user: User, action: str) -> list[int] | None:
    """Teams in which the user may take the action; None means every team."""
    if user.is_superuser:
        return None
    roles = permissions.ACTIONS[action]
    return list(
        Membership.objects.filter(user=user, role__in=roles).values_list(
            "team_id", flat=True
        )
    )


class ReleaseForm(forms.Form):
    """A new release; the service decides everything else through release_create."""

    service = forms.ModelChoiceField(queryset=Service.objects.none())
    environment = forms.ModelChoiceField(
        queryset=Environment.objects.none(),
        help_text="Each environment belongs to one service.",
    )
    template = forms.ModelChoiceField(
        queryset=ChecklistTemplate.objects.none(),
        label="Checklist template",
        required=False,
        empty_label="The team's default checklist",
        help_text="The team's default is its own version of the default checklist "
        "when it has one, otherwise the shared one.",
    )
    version = forms.CharField(
        max_length=64,
        help_text="For example 2.4.1 or 2024-06-rc1.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    planned_for = MomentField(
        required=False,
        label="Planned for",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    notes = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        teams = _team_ids_where(user, "create_release")
        services = Service.objects.all()
        environments = Environment.objects.select_related("service")
        templates = ChecklistTemplate.objects.all()
        if teams is not None:
            services = services.filter(team_id__in=teams)
            environments = environments.filter(service__team_id__in=teams)
            templates = templates.filter(Q(team__isnull=True) | Q(team_id__in=teams))
        self.fields["service"].queryset = services
        self.fields["environment"].queryset = environments
        self.fields["template"].queryset = templates.order_by("name", "-version")

    def clean(self) -> dict:
        data = super().clean()
        service = data.get("service")
        if service is not None and not data.get("template"):
            data["template"] = checklist_selectors.template_default_for_team(
                service.team_id
            )
            if data["template"] is None:
                self.add_error("template", "There is no default checklist yet.")
        return data


class DashboardFilterForm(forms.Form):
    """Filters shared by the dashboard and the history page."""

    q = forms.CharField(required=False, label="Version", max_length=64)
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(), required=False, empty_label="All services"
    )
    environment = forms.CharField(required=False, label="Environment")
    status = forms.ChoiceField(required=False, choices=[])

    def __init__(self, *args, services, environment_names, statuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["environment"].widget = forms.Select(
            choices=[("", "All environments")]
            + [(name, name) for name in environment_names]
        )
        self.fields["status"].choices = [("", "Any status"), *statuses]


class HistoryFilterForm(DashboardFilterForm):
    finished_from = DayField(
        required=False,
        label="Finished from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    finished_to = DayField(
        required=False,
        label="Finished to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
