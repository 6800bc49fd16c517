"""Shapes of releases, checklist items and readiness in the API."""

from rest_framework import serializers

from apps.releases import lifecycle
from apps.releases.models import Release, ReleaseItem
from apps.releases.services import MAX_NOTE
from config.api_support import MAX_ID


class ReleaseSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    environment_name = serializers.CharField(source="environment.name", read_only=True)

    class Meta:
        model = Release
        fields = [
            "id",
            "team",
            "service",
            "service_name",
            "environment",
            "environment_name",
            "template",
            "version",
            "status",
            "planned_for",
            "notes",
            "signoff_roles",
            "allow_shared_signoffs",
            "deployed_at",
            "status_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReleaseCreateSerializer(serializers.Serializer):
    """A new release; the template defaults to the latest default checklist."""

    service = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    environment = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    template = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    version = serializers.CharField(max_length=64)
    planned_for = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default=""
    )
    start = serializers.BooleanField(required=False, default=True)


class ReleaseUpdateSerializer(serializers.Serializer):
    """The fields of a release that may change after creation."""

    planned_for = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Release.Status.choices)
    reason = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default=""
    )
    override = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default=""
    )


class BlockerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["item", "signoff", "probe", "evidence", "freeze"]
    )
    id = serializers.CharField()
    text = serializers.CharField()


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


class ReleaseItemSerializer(serializers.ModelSerializer):
    changed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    gates_readiness = serializers.BooleanField(read_only=True)
    editable = serializers.SerializerMethodField(
        help_text="Whether the release's status still lets this item change."
    )
    evidence_result = serializers.IntegerField(
        source="evidence_result_id", read_only=True, allow_null=True
    )

    class Meta:
        model = ReleaseItem
        fields = [
            "id",
            "release",
            "position",
            "phase",
            "phase_title",
            "section_title",
            "section_number",
            "kind",
            "text",
            "command",
            "details",
            "required",
            "gates_readiness",
            "probe_kind",
            "state",
            "note",
            "changed_by",
            "changed_at",
            "editable",
            "evidence_result",
            "evidence_status",
            "by_hand",
            "accepted_warning",
        ]
        read_only_fields = fields

    def get_editable(self, item: ReleaseItem) -> bool:
        return lifecycle.item_editable(item.release.status, item)


class ItemStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ReleaseItem.State.choices)
    note = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default=""
    )
