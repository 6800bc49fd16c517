"""Shapes of incidents in the API and the webhook, and the bodies that write them."""

from rest_framework import serializers

from apps.accounts.api.fields import TeamObjectField
from apps.catalog.models import Service
from apps.core.api import MAX_ID
from apps.incidents.models import Incident
from apps.incidents.services import FIELDS
from apps.releases.models import Release


class IncidentSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "team",
            "service",
            "service_name",
            *FIELDS,
            "source",
            "external_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _release_id(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=help_text,
    )


class IncidentChangeSerializer(serializers.Serializer):
    """What PATCH may change; fields left out keep their value."""

    title = serializers.CharField(max_length=200, required=False)
    severity = serializers.ChoiceField(
        choices=Incident.Severity.choices, required=False
    )
    user_facing = serializers.BooleanField(required=False)
    started_at = serializers.DateTimeField(required=False)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    mitigated_at = serializers.DateTimeField(required=False, allow_null=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)
    caused_by = _release_id("The release of the service that caused it.")
    remediated_by = _release_id("The release of the service that fixed it.")


class IncidentCreateSerializer(IncidentChangeSerializer):
    service = TeamObjectField(
        queryset=Service.objects.select_related("team"),
        team_field="team_id",
        noun="service",
    )
    title = serializers.CharField(max_length=200)
    started_at = serializers.DateTimeField()


def releases_of(service_id: int, data: dict) -> dict:
    """Replace the release ids in `data` with releases of the service."""
    for name in ("caused_by", "remediated_by"):
        if data.get(name) is not None:
            release = Release.objects.filter(
                service_id=service_id, pk=data[name]
            ).first()
            if release is None:
                raise serializers.ValidationError(
                    {name: ["No such release of the service."]}
                )
            data[name] = release
    return data


class IncidentWebhookSerializer(serializers.Serializer):
    """The body of POST /integrations/incidents/ (docs/api.md)."""

    id = serializers.CharField(
        max_length=200, help_text="The incident's id in your tool; a resend updates it."
    )
    service = serializers.SlugField(max_length=120, help_text="The service's slug.")
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(
        choices=Incident.Severity.choices, required=False, default="sev3"
    )
    user_facing = serializers.BooleanField(required=False, default=True)
    started_at = serializers.DateTimeField()
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    mitigated_at = serializers.DateTimeField(required=False, allow_null=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)
    caused_by_version = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="The version of the service's production release that caused it.",
    )
    remediated_by_version = serializers.CharField(
        max_length=64, required=False, allow_blank=True
    )
