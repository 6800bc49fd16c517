"""The shape of a release's readiness in the API."""

from rest_framework import serializers

from apps.releases.api.serializers import BlockerSerializer, OverrideSerializer


class WaivedSerializer(BlockerSerializer):
    """A blocker let through by an approved waiver (see apps.policy)."""

    waiver = serializers.IntegerField()
    reason = serializers.CharField()
    requested_by = serializers.CharField()
    approved_by = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ReadinessSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    score = serializers.IntegerField(min_value=0, max_value=100)
    blockers = BlockerSerializer(many=True)
    warnings = BlockerSerializer(many=True, required=False)
    waivers = WaivedSerializer(many=True, required=False)
    freeze = serializers.JSONField(allow_null=True, required=False)
    override = OverrideSerializer(allow_null=True, required=False)
