"""Shapes of on-call rotations and overrides in the API, and the bodies that
write them. People are named by username, as in sign-off groups."""

from rest_framework import serializers

from apps.accounts.api.fields import team_field
from apps.oncall.models import Override, Rotation


class OnCallRotationSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Rotation
        fields = [
            "team",
            "time_zone",
            "handover_weekday",
            "handover_time",
            "starts_on",
            "members",
            "updated_at",
        ]
        read_only_fields = fields

    def get_members(self, rotation: Rotation) -> list[str]:
        """Usernames in rotation order: the first is on call the first week."""
        return [member.user.username for member in rotation.members.all()]


class OnCallRotationWriteSerializer(serializers.Serializer):
    """The whole rotation: it replaces what was there."""

    time_zone = serializers.CharField(max_length=60, default="UTC")
    handover_weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 is Monday, 6 is Sunday."
    )
    handover_time = serializers.TimeField()
    starts_on = serializers.DateField(help_text="Falls on the hand-over weekday.")
    members = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=100, default=list
    )


class OnCallOverrideSerializer(serializers.ModelSerializer):
    team = serializers.IntegerField(source="rotation.team_id", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Override
        fields = [
            "id",
            "team",
            "user",
            "starts_at",
            "ends_at",
            "reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class OnCallOverrideCreateSerializer(serializers.Serializer):
    team = team_field()
    user = serializers.CharField(max_length=150, help_text="Who covers: a username.")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")
