"""Shapes of contacts and support resources in the API, and the bodies that write
them."""

from rest_framework import serializers

from apps.accounts.api.fields import TeamObjectField, team_field
from apps.catalog.models import Service
from apps.contacts.models import Contact, SupportResource
from apps.contacts.services import LAST_ESCALATION


class ContactSerializer(serializers.ModelSerializer):
    # A blank email is stored as "", which is not an address: a plain string.
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "team",
            "service",
            "role",
            "name",
            "email",
            "phone",
            "escalation_order",
        ]
        read_only_fields = fields


class SupportResourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportResource
        fields = ["id", "team", "service", "kind", "label", "url"]
        read_only_fields = fields


def service_field(**kwargs) -> TeamObjectField:
    """One of the caller's teams' services, or null for the whole team."""
    return TeamObjectField(
        queryset=Service.objects.all(),
        team_field="team_id",
        noun="service",
        allow_null=True,
        **kwargs,
    )


class ContactChangeSerializer(serializers.Serializer):
    """What PATCH may change; fields left out keep their value."""

    service = service_field(required=False)
    role = serializers.CharField(max_length=120, required=False)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    escalation_order = serializers.IntegerField(
        min_value=1, max_value=LAST_ESCALATION, required=False
    )


class ContactCreateSerializer(serializers.Serializer):
    team = team_field()
    service = service_field(default=None)
    role = serializers.CharField(max_length=120, help_text="e.g. DevOps Lead")
    name = serializers.CharField(max_length=120, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, default="")
    escalation_order = serializers.IntegerField(
        min_value=1, max_value=LAST_ESCALATION, default=1
    )


class SupportResourceChangeSerializer(serializers.Serializer):
    """What PATCH may change; fields left out keep their value."""

    service = service_field(required=False)
    kind = serializers.ChoiceField(choices=SupportResource.Kind.choices, required=False)
    label = serializers.CharField(max_length=120, required=False)
    url = serializers.CharField(max_length=200, required=False)


class SupportResourceCreateSerializer(serializers.Serializer):
    team = team_field()
    service = service_field(default=None)
    kind = serializers.ChoiceField(choices=SupportResource.Kind.choices)
    label = serializers.CharField(max_length=120)
    url = serializers.CharField(max_length=200)
