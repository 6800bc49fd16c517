"""Shapes of the caller's identity, team members and sign-off groups in the API."""

from rest_framework import serializers

from apps.accounts.api.fields import team_field
from apps.accounts.models import Membership, SignOffGroupMember


class MembershipSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    team_slug = serializers.CharField(source="team.slug")
    role = serializers.CharField()


class TokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    read_only = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    is_superuser = serializers.BooleanField()
    memberships = MembershipSerializer(many=True)
    token = TokenInfoSerializer(allow_null=True)


class SignOffGroupMemberSerializer(serializers.Serializer):
    user = serializers.CharField(source="user.username")
    source = serializers.CharField()
    added_at = serializers.DateTimeField()


class SignOffGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.IntegerField(source="team_id")
    name = serializers.CharField()
    members = SignOffGroupMemberSerializer(many=True, source="members.all")


class SignOffGroupCreateSerializer(serializers.Serializer):
    team = team_field()
    name = serializers.CharField(max_length=120)


class SignOffGroupRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class SignOffGroupMemberAddSerializer(serializers.Serializer):
    """A member of the group's team who may sign off, by username."""

    user = serializers.CharField(max_length=150)
    source = serializers.ChoiceField(
        choices=SignOffGroupMember.Source.choices,
        default=SignOffGroupMember.Source.LOCAL,
    )


class TeamMemberSerializer(serializers.Serializer):
    """A member of one of the caller's teams, with their role."""

    id = serializers.IntegerField()
    team = serializers.IntegerField(source="team_id")
    user = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.get_full_name")
    role = serializers.CharField()


class TeamMemberAddSerializer(serializers.Serializer):
    """Add a person (by username or email) to a team the caller administers."""

    team = team_field()
    user = serializers.CharField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class TeamMemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)
