"""Who the caller is: their teams and roles, and the token they used."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api import serializers
from apps.accounts.models import ApiToken, Membership
from config.api_support import ThrottleFirstMixin


class MeView(ThrottleFirstMixin, APIView):
    @extend_schema(responses={200: serializers.MeSerializer})
    def get(self, request: Request) -> Response:
        """The caller, their roles per team, and the token in use (if any)."""
        user = request.user
        memberships = Membership.objects.filter(user=user).select_related("team")
        token = request.auth if isinstance(request.auth, ApiToken) else None
        body = {
            "username": user.get_username(),
            "is_superuser": user.is_superuser,
            "memberships": memberships,
            "token": token,
        }
        return Response(serializers.MeSerializer(body).data)
