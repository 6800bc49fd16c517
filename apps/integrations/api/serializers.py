"""GitHub mappings in the API, and the readiness lookup's query."""

import re

from rest_framework import serializers

from apps.accounts.api.fields import TeamObjectField
from apps.catalog.api.fields import environment_field
from apps.catalog.models import Service
from apps.integrations.models import GitHubMapping, GitLabMapping


class GitHubMappingSerializer(serializers.ModelSerializer):
    class Meta:
        model = GitHubMapping
        fields = [
            "id",
            "team",
            "repository",
            "environment_name",
            "service",
            "environment",
            "installation_id",
            "created_at",
        ]
        read_only_fields = fields


class GitHubMappingCreateSerializer(serializers.Serializer):
    """A repository's GitHub environment and the service environment gating it."""

    repository = serializers.CharField(max_length=140)
    environment_name = serializers.CharField(max_length=255)
    service = TeamObjectField(
        queryset=Service.objects.select_related("team"),
        team_field="team_id",
        noun="service",
    )
    environment = environment_field()
    installation_id = serializers.IntegerField(
        min_value=1, max_value=2**53, required=False, allow_null=True
    )


# The readiness lookup's query, checked by hand: Argo Rollouts and pipelines
# poll it every few seconds, and a DRF serializer spent more time copying its
# declared fields for each request (a deepcopy per instance) than the lookup's
# SQL took. The rules and messages are DRF's CharField's and RegexField's, so a
# caller sees the same 400s (tests/integrations/test_lookup_query.py compares
# the two on generated queries).
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
# Each field's longest value; the sha's pattern bounds it instead.
_LOOKUP_FIELDS = (("service", 120), ("environment", 120), ("version", 64), ("sha", 0))


def readiness_lookup_query(params) -> dict[str, str]:
    """Which release: a service and environment by id or name, and a version or
    a commit sha (the release whose gate request names it). Raises DRF's
    ValidationError (a 400 naming each bad field) like a serializer would."""
    data: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, limit in _LOOKUP_FIELDS:
        required = name in ("service", "environment")
        value = params.get(name)
        # As DRF reads a form or query: an optional field given empty is absent.
        if value is None or (value == "" and not required):
            if required:
                errors[name] = ["This field is required."]
            continue
        value = value.strip()
        if not value:
            errors[name] = ["This field may not be blank."]
            continue
        problems = []
        if limit and len(value) > limit:
            problems.append(f"Ensure this field has no more than {limit} characters.")
        if "\x00" in value:
            problems.append("Null characters are not allowed.")
        surrogate = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
        if surrogate is not None:
            problems.append(
                f"Surrogate characters are not allowed: U+{ord(surrogate):X}."
            )
        if name == "sha" and not _SHA.match(value):
            problems.append("This value does not match the required pattern.")
        if problems:
            errors[name] = problems
        else:
            data[name] = value
    if errors:
        raise serializers.ValidationError(errors)
    if bool(data.get("version")) == bool(data.get("sha")):
        raise serializers.ValidationError(
            {"non_field_errors": ["Give either version or sha."]}
        )
    return data


class SignatureSerializer(serializers.Serializer):
    keyid = serializers.CharField()
    sig = serializers.CharField(help_text="Base64 Ed25519 signature of the PAE.")


class EnvelopeSerializer(serializers.Serializer):
    """A DSSE envelope holding an in-toto Statement."""

    payloadType = serializers.CharField()  # noqa: N815 (DSSE's field name)
    payload = serializers.CharField(help_text="Base64 of the Statement's JSON.")
    signatures = SignatureSerializer(many=True)


class CiReleaseSerializer(serializers.Serializer):
    """What a CI job may add to the release its token names."""

    version = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,63}$",
        required=False,
        help_text="Defaults to the tag in the job's ref, else its short sha.",
    )
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CiGateQuerySerializer(serializers.Serializer):
    version = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._+\-]{0,63}$", required=False
    )


class GitLabMappingSerializer(serializers.ModelSerializer):
    has_token = serializers.BooleanField(
        read_only=True, help_text="Whether an access token is stored (never shown)."
    )

    class Meta:
        model = GitLabMapping
        fields = [
            "id",
            "team",
            "project_path",
            "environment_name",
            "service",
            "environment",
            "represented_as",
            "has_token",
            "created_at",
        ]
        read_only_fields = fields


class GitLabMappingCreateSerializer(serializers.Serializer):
    """A GitLab project's environment and the service environment gating it."""

    project_path = serializers.CharField(max_length=255)
    environment_name = serializers.CharField(max_length=255)
    service = TeamObjectField(
        queryset=Service.objects.select_related("team"),
        team_field="team_id",
        noun="service",
    )
    environment = environment_field()
    access_token = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="A project or group access token (api scope); stored encrypted.",
    )
    represented_as = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="The approval rule or group the bot approves as.",
    )


class GitLabTokenSerializer(serializers.Serializer):
    access_token = serializers.CharField(
        max_length=255, allow_blank=True, write_only=True, help_text="Empty: forget it."
    )
