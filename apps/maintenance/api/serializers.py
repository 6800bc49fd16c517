"""Shapes of maintenance plans, checklists and checks in the API, and the bodies
that write them."""

from rest_framework import serializers

from apps.maintenance.models import (
    MaintenanceChecklist,
    MaintenanceItem,
    MaintenancePlan,
)
from apps.maintenance.services import MAX_NOTE


def _username(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, **kwargs
    )


class MaintenancePlanSerializer(serializers.ModelSerializer):
    assignee = _username()

    class Meta:
        model = MaintenancePlan
        fields = [
            "environment",
            "template",
            "time_zone",
            "assignee",
            "enabled",
            "created_at",
        ]
        read_only_fields = fields


class MaintenancePlanWriteSerializer(serializers.Serializer):
    template = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="A template of the team (or a shared one) with a maintenance phase.",
    )
    time_zone = serializers.CharField(max_length=60, default="UTC")
    assignee = serializers.CharField(
        max_length=150,
        allow_null=True,
        default=None,
        help_text="Who new checklists are assigned to: a username, or null.",
    )
    enabled = serializers.BooleanField(default=True)


class MaintenanceItemSerializer(serializers.ModelSerializer):
    changed_by = _username()

    class Meta:
        model = MaintenanceItem
        fields = ["id", "position", "text", "state", "note", "changed_by", "changed_at"]
        read_only_fields = fields


class MaintenanceChecklistSerializer(serializers.ModelSerializer):
    environment = serializers.IntegerField(source="plan.environment_id")
    assignee = _username()
    items = MaintenanceItemSerializer(many=True, read_only=True)

    class Meta:
        model = MaintenanceChecklist
        fields = [
            "id",
            "environment",
            "cadence",
            "period_start",
            "due_at",
            "assignee",
            "completed_at",
            "items",
        ]
        read_only_fields = fields


class MaintenanceItemStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=MaintenanceItem.State.choices)
    note = serializers.CharField(max_length=MAX_NOTE, allow_blank=True, default="")
