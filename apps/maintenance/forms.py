"""Forms of the maintenance pages: the plan, and a check's state."""

from django import forms

from apps.maintenance.models import MaintenanceItem
from apps.maintenance.services import MAX_NOTE


class PlanForm(forms.Form):
    """Which template's maintenance phase, in which time zone, assigned to whom,
    running or paused. Choices are the team's, given by the page."""

    template = forms.TypedChoiceField(
        label="Checklist",
        coerce=int,
        help_text="A template with a maintenance phase; its daily, weekly and "
        "monthly sections become the checklists.",
    )
    time_zone = forms.CharField(
        max_length=60,
        required=False,
        help_text="Where days, weeks and months start, e.g. Europe/Berlin; UTC when "
        "empty.",
    )
    assignee = forms.TypedChoiceField(
        label="Assign new checklists to",
        coerce=int,
        required=False,
        empty_value=None,
    )
    enabled = forms.BooleanField(
        label="Running",
        required=False,
        initial=True,
        help_text="Paused, no new checklists are created; those made stay.",
    )

    def __init__(self, *args, templates=(), members=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(t.pk, str(t)) for t in templates]
        self.fields["assignee"].choices = [("", "nobody")] + [
            (user.pk, user.get_username()) for user in members
        ]

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"].strip() or "UTC"


class MaintenanceItemStateForm(forms.Form):
    state = forms.ChoiceField(choices=MaintenanceItem.State.choices)
    note = forms.CharField(required=False, max_length=MAX_NOTE)
