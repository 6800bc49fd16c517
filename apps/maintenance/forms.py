"""Forms of the maintenance page: the plan, and a check's state."""

from django import forms

from apps.maintenance.models import MaintenanceItem
from apps.maintenance.services import MAX_NOTE


class PlanForm(forms.Form):
    """Which template's maintenance phase, in which time zone, assigned to whom."""

    template = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    assignee = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    time_zone = forms.CharField(max_length=60, required=False)

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"].strip() or "UTC"


class MaintenanceItemStateForm(forms.Form):
    state = forms.ChoiceField(choices=MaintenanceItem.State.choices)
    note = forms.CharField(required=False, max_length=MAX_NOTE)
