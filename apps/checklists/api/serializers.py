"""Shapes of checklist templates in the API."""

from rest_framework import serializers

from apps.accounts.api.fields import team_field
from apps.checklists.models import ChecklistTemplate
from apps.core.api import MAX_ID

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
            "based_on",
            "allow_shared_signoffs",
            "allow_creator_approval",
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


class TemplateOptionsSerializer(serializers.Serializer):
    """Options left out stay as they are. `team`: whose own version a change to
    a template the caller does not own becomes."""

    allow_creator_approval = serializers.BooleanField(required=False)
    allow_shared_signoffs = serializers.BooleanField(required=False)
    advisory_items = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        max_length=2000,
        help_text="The texts of the items that only warn (all others block); "
        "omit to leave the severities as they are.",
    )
    team = team_field(required=False, allow_null=True, default=None)


class SignOffEligibilitySerializer(serializers.Serializer):
    """Who may sign one role of a team; `anyone` when it names no one."""

    team = serializers.IntegerField()
    role_key = serializers.CharField()
    role_name = serializers.CharField()
    anyone = serializers.BooleanField()
    who = serializers.CharField()
    team_roles = serializers.ListField(child=serializers.CharField())
    users = serializers.ListField(child=serializers.CharField())
    groups = serializers.ListField(child=serializers.IntegerField())


class SignOffEligibilitySetSerializer(serializers.Serializer):
    """Everything left empty lets anyone on the team sign the role."""

    team = team_field()
    role_key = serializers.SlugField(max_length=60)
    team_roles = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=list
    )
    users = serializers.ListField(
        child=serializers.CharField(max_length=150),
        required=False,
        default=list,
        max_length=500,
    )
    groups = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=100,
    )
