"""The policy's forms: a lead's decision on a verification window, waiver and
emergency exception requests, and freeze windows."""

from django import forms

from apps.core.moments import MomentField
from apps.policy.models import VerificationWindow

Outcome = VerificationWindow.Outcome


class VerificationDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[(Outcome.PASSED, "Passed"), (Outcome.FAILED, "Failed")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why."},
    )


class WaiverRequestForm(forms.Form):
    """Ask to waive one of the release's blockers until a moment (≤ 30 days)."""

    blocker = forms.ChoiceField(
        label="Blocker to waive",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the blocker to waive."},
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why this blocker may be let through."},
    )
    expires_at = MomentField(
        label="Waived until (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="At most 30 days from now; after that the blocker blocks again.",
    )

    def __init__(self, *args, blockers: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["blocker"].choices = blockers

    def clean_blocker(self) -> tuple[str, str]:
        blocker_type, _, blocker_id = self.cleaned_data["blocker"].partition(":")
        return blocker_type, blocker_id


class ExceptionRequestForm(forms.Form):
    """Ask to deploy through a freeze until a moment (≤ 2 days)."""

    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why this release cannot wait."},
    )
    expires_at = MomentField(
        label="Exception until (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="At most 2 days from now.",
    )


class FreezeWindowForm(forms.Form):
    """A freeze window: one-off (start and end) or recurring (cron, zone, length)."""

    ONE_OFF, RECURRING = "one_off", "recurring"

    name = forms.CharField(max_length=120)
    reason = forms.CharField(max_length=500, required=False)
    repeats = forms.ChoiceField(
        label="Happens",
        choices=[(ONE_OFF, "Once"), (RECURRING, "Repeatedly (cron)")],
        widget=forms.RadioSelect,
        initial=ONE_OFF,
    )
    starts_at = MomentField(
        label="Starts (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = MomentField(
        label="Ends (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    cron = forms.CharField(
        label="Starts whenever (cron)",
        max_length=100,
        required=False,
        help_text="minute hour day-of-month month day-of-week, e.g. 0 18 * * fri",
    )
    time_zone = forms.CharField(
        label="Time zone of the cron", max_length=64, required=False, initial="UTC"
    )
    duration_minutes = forms.IntegerField(
        label="Lasts (minutes)", required=False, min_value=1, max_value=31 * 24 * 60
    )

    def service_fields(self) -> dict:
        """The cleaned form as freeze_window_save's keyword arguments."""
        data = self.cleaned_data
        recurring = data["repeats"] == self.RECURRING
        return {
            "name": data["name"],
            "reason": data.get("reason", ""),
            "starts_at": None if recurring else data.get("starts_at"),
            "ends_at": None if recurring else data.get("ends_at"),
            "cron": data.get("cron", "") if recurring else "",
            "time_zone": (data.get("time_zone") or "UTC") if recurring else "UTC",
            "duration_minutes": data.get("duration_minutes") if recurring else None,
        }


class VerificationSettingsForm(forms.Form):
    """How an environment verifies each release marked deployed there."""

    enabled = forms.BooleanField(
        required=False,
        label="Verify each release marked deployed here",
        help_text="Starts a verification window with the environment's http and "
        "prometheus probes as soon as a release is marked deployed.",
    )
    duration_seconds = forms.FloatField(
        label="For (seconds)", min_value=0.1, max_value=24 * 3600, initial=600
    )
    interval_seconds = forms.FloatField(
        label="Measure every (seconds)", min_value=0.1, max_value=24 * 3600, initial=30
    )
    failure_limit = forms.IntegerField(
        label="Failed measurements allowed",
        min_value=0,
        initial=0,
        help_text="One more fails the window at once.",
    )
    consecutive_successes = forms.IntegerField(
        label="Successes in a row needed at the end",
        min_value=1,
        initial=3,
        help_text="Fewer at the end: inconclusive, for a lead to decide.",
    )
