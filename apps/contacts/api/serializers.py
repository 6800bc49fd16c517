"""Shapes of contacts and support resources in the API."""

from rest_framework import serializers

from apps.contacts.models import Contact, SupportResource


class ContactSerializer(serializers.ModelSerializer):
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
