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
