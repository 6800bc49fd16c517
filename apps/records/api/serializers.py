"""Shapes of audit events and of what is deployed where in the API."""

from rest_framework import serializers

from apps.audit.models import AuditEvent
from apps.releases.api.serializers import OverrideSerializer


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "created_at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "team_id",
            "release_id",
            "before",
            "after",
            "request_id",
            "hash",
        ]
        read_only_fields = fields


class DeployedWaiverSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    reason = serializers.CharField()
    requested_by = serializers.CharField(source="requested_by.get_username")
    approved_by = serializers.CharField(source="approved_by.get_username")
    approved_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class DeploymentSerializer(serializers.Serializer):
    """A deployed release and how readiness stood when it went out."""

    release = serializers.IntegerField(source="release.pk")
    version = serializers.CharField(source="release.version")
    deployed_at = serializers.DateTimeField(source="release.deployed_at")
    deployed_by = serializers.SerializerMethodField()
    readiness_at_deploy = serializers.ChoiceField(
        source="verdict", choices=["ready", "waived", "override"]
    )
    override = OverrideSerializer(source="release.override", allow_null=True)
    waivers = DeployedWaiverSerializer(many=True)

    def get_deployed_by(self, deployment) -> str:
        by = deployment.release.deployed_by
        return by.get_username() if by else ""


class DeploymentCellSerializer(serializers.Serializer):
    """One environment of a service and the release deployed there now."""

    service = serializers.IntegerField(source="environment.service_id")
    service_name = serializers.CharField(source="environment.service.name")
    environment = serializers.IntegerField(source="environment.pk")
    environment_name = serializers.CharField(source="environment.name")
    current = DeploymentSerializer(source="deployment", allow_null=True)
