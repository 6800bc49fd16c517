"""Shapes of releases and checklist items in the API (readiness: apps.readiness)."""

from django.db.models import Q
from rest_framework import serializers

from apps.accounts.api.fields import TeamObjectField
from apps.catalog.models import Service
from apps.checklists.models import ChecklistTemplate
from apps.core.api import MAX_ID
from apps.releases import lifecycle
from apps.releases.models import Release, ReleaseItem
from apps.releases.services import MAX_NOTE


class BlockerSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["item", "signoff", "probe", "evidence", "freeze"]
    )
    id = serializers.CharField()
    text = serializers.CharField()


class OverrideSerializer(serializers.Serializer):
    """A lead's override: the status it let the release enter, who, when, why,
    and the readiness blockers as they stood at that moment."""

    status = serializers.ChoiceField(choices=["ready", "deployed"])
    by = serializers.CharField()
    at = serializers.DateTimeField()
    reason = serializers.CharField()
    blockers = BlockerSerializer(many=True)


class CommitSerializer(serializers.Serializer):
    """A commit the release carries; lead time runs from `committed_at`."""

    sha = serializers.RegexField(
        r"^[0-9a-fA-F]{7,64}$", help_text="7 to 64 hexadecimal digits."
    )
    committed_at = serializers.DateTimeField()


class ReleaseSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    environment_name = serializers.CharField(source="environment.name", read_only=True)
    override = OverrideSerializer(read_only=True, allow_null=True)
    rolled_back_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    commits = CommitSerializer(many=True, read_only=True)
    deploy_result = serializers.CharField(
        read_only=True,
        help_text="succeeded, failed or aborted; empty until the release is deployed.",
    )

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
            "status_label",
            "planned_for",
            "notes",
            "deployment_notes",
            "gate_request",
            "signoff_roles",
            "allow_shared_signoffs",
            "deployed_at",
            "rolled_back_at",
            "rolled_back_by",
            "rolled_back_to",
            "cancelled_at",
            "status_reason",
            "override",
            "kind",
            "deploy_result",
            "deploy_finished_at",
            "deploy_waivers",
            "remediates",
            "commits",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReleaseCreateSerializer(serializers.Serializer):
    """A new release; the template defaults to the team's default checklist: its
    own version of `default` when it has one, otherwise the shared one."""

    service = TeamObjectField(
        queryset=Service.objects.select_related("team"),
        team_field="team_id",
        noun="service",
    )
    # The environment and template are looked up among the service's own, in
    # validate(), so they say nothing until the service is one of the caller's.
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
    kind = serializers.ChoiceField(
        choices=Release.Kind.choices,
        required=False,
        default=Release.Kind.PLANNED,
        help_text="emergency is refused: an emergency exception sets it at deploy.",
    )
    commits = CommitSerializer(many=True, required=False, default=list)
    remediates = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="The release of the same service this one fixes.",
    )

    def validate(self, data: dict) -> dict:
        service = data["service"]
        if data.get("remediates") is not None:
            data["remediates"] = release_of(service.pk, data["remediates"])
        data["environment"] = service.environments.filter(
            pk=data["environment"]
        ).first()
        if data["environment"] is None:
            raise serializers.ValidationError(
                {"environment": f"No such environment of {service.name}."}
            )
        if data.get("template") is not None:
            data["template"] = ChecklistTemplate.objects.filter(
                Q(team__isnull=True) | Q(team_id=service.team_id),
                pk=data["template"],
            ).first()
            if data["template"] is None:
                raise serializers.ValidationError({"template": "No such template."})
        return data


def release_of(service_id: int, pk: int) -> Release:
    """The release of the service a body's `remediates` names; a 400 otherwise."""
    release = Release.objects.filter(service_id=service_id, pk=pk).first()
    if release is None:
        raise serializers.ValidationError(
            {"remediates": ["No such release of the service."]}
        )
    return release


class DeliverySerializer(serializers.Serializer):
    """A release's delivery facts; fields left out keep their value, and
    `commits` replaces the list."""

    kind = serializers.ChoiceField(
        choices=Release.Kind.choices,
        required=False,
        help_text="emergency is refused: an emergency exception sets it at deploy.",
    )
    remediates = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    deploy_result = serializers.ChoiceField(
        choices=Release.DeployResult.choices, required=False
    )
    deploy_finished_at = serializers.DateTimeField(required=False, allow_null=True)
    commits = CommitSerializer(many=True, required=False)
    rolled_back_to = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )


class ReleaseUpdateSerializer(serializers.Serializer):
    """The fields of a release that may change after creation."""

    planned_for = serializers.DateTimeField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Release.Status.choices)
    reason = serializers.CharField(
        max_length=MAX_NOTE, required=False, allow_blank=True, default=""
    )
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A lead's override into ready or deployed against the blockers "
        "(needs a reason); kept on the release with the blockers it overrode.",
    )
    notes = serializers.CharField(
        max_length=MAX_NOTE,
        required=False,
        allow_blank=True,
        default="",
        help_text="Deployment notes, when deploying; the release notes stay as "
        "they are.",
    )
    rolled_back_to = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="When rolling back: the earlier release of the environment "
        "the rollback restored.",
    )


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
