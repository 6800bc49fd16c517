"""Shapes of waivers, freeze windows, exceptions and verification windows."""

from rest_framework import serializers

from apps.catalog.api.fields import environment_field
from apps.policy.models import (
    EmergencyException,
    FreezeWindow,
    VerificationSettings,
    VerificationWindow,
    Waiver,
)
from apps.releases.api.fields import release_field


class WaiverSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    declined_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Waiver
        fields = [
            "id",
            "release",
            "blocker_type",
            "blocker_id",
            "label",
            "reason",
            "requested_by",
            "approved_by",
            "approved_at",
            "declined_by",
            "declined_at",
            "expires_at",
            "created_at",
        ]
        read_only_fields = fields


class WaiverCreateSerializer(serializers.Serializer):
    release = release_field()
    blocker_type = serializers.ChoiceField(choices=Waiver.BlockerType.choices)
    blocker_id = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=2000)
    expires_at = serializers.DateTimeField()


class FreezeWindowSerializer(serializers.ModelSerializer):
    environment = environment_field()

    class Meta:
        model = FreezeWindow
        fields = [
            "id",
            "environment",
            "name",
            "reason",
            "starts_at",
            "ends_at",
            "cron",
            "time_zone",
            "duration_minutes",
        ]
        read_only_fields = ["id"]
        # Uniqueness is the service's to check, with its own message.
        validators = []


class FreezeWindowUpdateSerializer(FreezeWindowSerializer):
    """A freeze window's new fields; it stays in its environment."""

    class Meta(FreezeWindowSerializer.Meta):
        fields = [f for f in FreezeWindowSerializer.Meta.fields if f != "environment"]
        read_only_fields = ["id"]
        validators = []


class EmergencyExceptionSerializer(serializers.ModelSerializer):
    approved_by = serializers.SerializerMethodField()

    class Meta:
        model = EmergencyException
        fields = ["id", "release", "reason", "expires_at", "approved_by", "created_at"]
        read_only_fields = fields

    def get_approved_by(self, exception: EmergencyException) -> list[str]:
        people = (exception.first_approver, exception.second_approver)
        return [user.username for user in people if user is not None]


class EmergencyExceptionCreateSerializer(serializers.Serializer):
    release = release_field()
    reason = serializers.CharField(max_length=2000)
    expires_at = serializers.DateTimeField()


class VerificationWindowSerializer(serializers.ModelSerializer):
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = VerificationWindow
        exclude = ["started_by"]
        read_only_fields = ["id"]


class VerificationDecisionSerializer(serializers.Serializer):
    """A lead's decision on an inconclusive window."""

    outcome = serializers.ChoiceField(
        choices=[VerificationWindow.Outcome.PASSED, VerificationWindow.Outcome.FAILED]
    )
    note = serializers.CharField(max_length=2000)


class VerificationStartSerializer(serializers.Serializer):
    release = release_field()
    interval_seconds = serializers.FloatField(default=30)
    duration_seconds = serializers.FloatField(default=600)
    failure_limit = serializers.IntegerField(default=0, min_value=0)
    consecutive_successes = serializers.IntegerField(default=3, min_value=1)
    regression_percent = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, default=None
    )


class VerificationSettingsSerializer(serializers.ModelSerializer):
    """How an environment verifies each release marked deployed there."""

    updated_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the settings were last saved; null while the environment "
        "has the defaults.",
    )

    class Meta:
        model = VerificationSettings
        fields = [
            "environment",
            "enabled",
            "duration_seconds",
            "interval_seconds",
            "failure_limit",
            "consecutive_successes",
            "updated_at",
        ]
        read_only_fields = fields


class VerificationSettingsWriteSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    duration_seconds = serializers.FloatField(default=600)
    interval_seconds = serializers.FloatField(default=30)
    failure_limit = serializers.IntegerField(default=0, min_value=0)
    consecutive_successes = serializers.IntegerField(default=3, min_value=1)
