"""Shapes of checklist templates in the API."""

from rest_framework import serializers

from apps.checklists.models import ChecklistTemplate
from config.api_support import team_field

MAX_SOURCE = 1024 * 1024


class TemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistTemplate
        fields = [
            "id",
            "name",
            "version",
            "title",
            "team",
            "allow_shared_signoffs",
            "success_criteria",
            "created_at",
        ]
        read_only_fields = fields


class TemplateImportSerializer(serializers.Serializer):
    """Markdown in the seed's format; the name defaults to its title."""

    source = serializers.CharField(max_length=MAX_SOURCE, trim_whitespace=False)
    name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    team = team_field(required=False, allow_null=True, default=None)


class TemplateExportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    markdown = serializers.CharField()
