"""Sign-off forms: a decision (role, decision, comment, confirmation), a request
for one, and who may sign each role."""

from django import forms
from django.contrib.auth.models import User

from apps.accounts import permissions
from apps.accounts.models import Membership, SignOffGroup, Team
from apps.signoffs.models import SignOff

SIGNING_ROLE_CHOICES = [
    (role, label)
    for role, label in Membership.Role.choices
    if role in permissions.ACTIONS["signoff"]
]


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


class SignersForm(forms.Form):
    """Who may sign one role: team roles, named members, sign-off groups. All
    empty lets anyone on the team sign it."""

    team_roles = forms.MultipleChoiceField(
        required=False,
        choices=[(role, f"{label}s") for role, label in SIGNING_ROLE_CHOICES],
        widget=forms.CheckboxSelectMultiple,
    )
    users = forms.ModelMultipleChoiceField(
        required=False,
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    groups = forms.ModelMultipleChoiceField(
        required=False,
        queryset=SignOffGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = team_signers(team)
        self.fields["groups"].queryset = SignOffGroup.objects.filter(team=team)


class GroupForm(forms.Form):
    name = forms.CharField(max_length=120)


class GroupMemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = team_signers(team)


def team_signers(team: Team):
    """The team's members who may sign off at all, by username."""
    return User.objects.filter(
        memberships__team=team, memberships__role__in=permissions.ACTIONS["signoff"]
    ).order_by("username")
