"""The sign-off form: a role, a decision, a comment, and a confirmation."""

from django import forms

from apps.signoffs.models import SignOff


class SignOffForm(forms.Form):
    role_key = forms.ChoiceField(label="Role", choices=[])
    decision = forms.ChoiceField(choices=SignOff.Decision.choices)
    comment = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when you reject.",
    )
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args, roles: list[dict], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role_key"].choices = [
            (role["key"], role["name"]) for role in roles
        ]


class SignOffRequestForm(forms.Form):
    """A lead asks a named team member for one role's sign-off."""

    role_key = forms.ChoiceField(label="Role", choices=[])
    person = forms.ChoiceField(label="Person", choices=[])
    note = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, roles: list[dict], people: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role_key"].choices = [(r["key"], r["name"]) for r in roles]
        self.fields["person"].choices = [(str(p.pk), str(p)) for p in people]
