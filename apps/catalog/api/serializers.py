"""Shapes of services and environments in the API, and the bodies that write them."""

from rest_framework import serializers

from apps.accounts.api.fields import TeamObjectField, team_field
from apps.catalog.models import Environment, Service
from apps.catalog.services import ENVIRONMENT_FIELDS


class ServiceSerializer(serializers.ModelSerializer):
    # Blank URLs are stored as "", which is not a URI: plain strings here.
    repository_url = serializers.CharField(read_only=True)

    class Meta:
        model = Service
        fields = ["id", "team", "name", "slug", "description", "repository_url"]
        read_only_fields = fields


class EnvironmentSerializer(serializers.ModelSerializer):
    base_url = serializers.CharField(read_only=True)
    api_url = serializers.CharField(read_only=True)
    probe_zone = serializers.CharField(read_only=True)

    class Meta:
        model = Environment
        fields = ["id", "service", *ENVIRONMENT_FIELDS]
        read_only_fields = fields


def _text(max_length: int, **kwargs) -> serializers.CharField:
    """An optional string field; its meaning (a URL, a slug) is the service's check."""
    return serializers.CharField(
        max_length=max_length, allow_blank=True, trim_whitespace=True, **kwargs
    )


class ServiceChangeSerializer(serializers.Serializer):
    """What PATCH may change; fields left out keep their value."""

    name = serializers.CharField(max_length=120, required=False)
    slug = serializers.CharField(max_length=120, required=False)
    description = _text(5000, required=False)
    repository_url = _text(200, required=False)


class ServiceCreateSerializer(serializers.Serializer):
    team = team_field()
    name = serializers.CharField(max_length=120)
    slug = _text(120, default="", help_text="Defaults to the name's slug.")
    description = _text(5000, default="")
    repository_url = _text(200, default="")


class EnvironmentChangeSerializer(serializers.Serializer):
    """What PATCH may change; fields left out keep their value."""

    name = serializers.CharField(max_length=60, required=False)
    base_url = _text(200, required=False)
    api_url = _text(200, required=False)
    k8s_namespace = _text(63, required=False)
    probe_zone = _text(40, required=False)
    notes = _text(5000, required=False)
    production = serializers.BooleanField(required=False)


class EnvironmentCreateSerializer(serializers.Serializer):
    service = TeamObjectField(
        queryset=Service.objects.select_related("team"),
        team_field="team_id",
        noun="service",
    )
    name = serializers.CharField(max_length=60)
    base_url = _text(200, default="")
    api_url = _text(200, default="")
    k8s_namespace = _text(63, default="")
    probe_zone = _text(40, default="")
    notes = _text(5000, default="")
    production = serializers.BooleanField(
        default=False,
        help_text="Serves real users: its deploys count in the delivery metrics.",
    )
