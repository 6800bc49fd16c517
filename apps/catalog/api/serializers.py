"""Shapes of services and environments in the API."""

from rest_framework import serializers

from apps.catalog.models import Environment, Service


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

    class Meta:
        model = Environment
        fields = ["id", "service", "name", "base_url", "api_url", "k8s_namespace"]
        read_only_fields = fields
