"""The release page's policy forms: a lead's decision on a verification window."""

from django import forms

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
