"""Shapes of sign-offs in the API."""

from rest_framework import serializers

from apps.releases.api.fields import release_field
from apps.signoffs.models import SignOff
from apps.signoffs.services import MAX_COMMENT


class SignOffSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SignOff
        fields = [
            "id",
            "release",
            "role_key",
            "role_name",
            "user",
            "decision",
            "comment",
            "created_at",
        ]
        read_only_fields = fields


class SignOffCreateSerializer(serializers.Serializer):
    release = release_field()
    role_key = serializers.CharField(max_length=60)
    decision = serializers.ChoiceField(choices=SignOff.Decision.choices)
    comment = serializers.CharField(
        max_length=MAX_COMMENT, required=False, allow_blank=True, default=""
    )


class SignOffRequestSerializer(serializers.Serializer):
    """A lead asks a member of the release's team for one role's sign-off."""

    release = release_field()
    role_key = serializers.CharField(max_length=60)
    person = serializers.CharField(max_length=150, help_text="A username.")
    note = serializers.CharField(max_length=1000, allow_blank=True, default="")


class SignOffRequestedSerializer(serializers.Serializer):
    release = serializers.IntegerField(source="release.pk")
    role_key = serializers.CharField()
    person = serializers.CharField()
    note = serializers.CharField()
