"""Shape of the caller's identity in the API."""

from rest_framework import serializers


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
