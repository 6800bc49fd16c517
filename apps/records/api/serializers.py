"""Shape of audit events in the API."""

from rest_framework import serializers

from apps.audit.models import AuditEvent


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
