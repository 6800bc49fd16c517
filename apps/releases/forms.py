"""Forms of the release pages."""

from django import forms

from apps.releases.models import ReleaseItem


class ItemStateForm(forms.Form):
    state = forms.ChoiceField(choices=ReleaseItem.State.choices)
    note = forms.CharField(required=False, max_length=5000)
