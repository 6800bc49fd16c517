"""Who the caller is (their teams and roles, the token they used), the members
and the sign-off groups of their teams."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import permissions, selectors, services
from apps.accounts.api import serializers
from apps.accounts.models import ApiToken, Membership, SignOffGroup
from apps.core.api import ThrottleFirstMixin, ViewSet, validated


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


class SignOffGroupViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Sign-off groups of the caller's teams; their admins change them."""

    serializer_class = serializers.SignOffGroupSerializer
    queryset = SignOffGroup.objects.none()

    def get_queryset(self) -> QuerySet[SignOffGroup]:
        groups = SignOffGroup.objects.select_related("team").prefetch_related(
            "members__user"
        )
        teams = permissions.team_ids_for(self.request.user)
        groups = groups if teams is None else groups.filter(team_id__in=teams)
        return groups.order_by("team_id", "name", "id")

    @extend_schema(
        request=serializers.SignOffGroupCreateSerializer,
        responses={201: serializers.SignOffGroupSerializer},
    )
    def create(self, request: Request) -> Response:
        """Create a group in one of the caller's teams (its admins)."""
        data = validated(serializers.SignOffGroupCreateSerializer, request)
        team = data["team"]
        group = services.signoff_group_create(
            team=team, name=data["name"], by=request.user
        )
        body = serializers.SignOffGroupSerializer(group).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.SignOffGroupRenameSerializer,
        responses={200: serializers.SignOffGroupSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Rename the group."""
        group = self.get_object()
        data = validated(serializers.SignOffGroupRenameSerializer, request)
        services.signoff_group_rename(group=group, name=data["name"], by=request.user)
        return Response(serializers.SignOffGroupSerializer(group).data)

    def perform_destroy(self, instance: SignOffGroup) -> None:
        services.signoff_group_delete(group=instance, by=self.request.user)

    @extend_schema(
        request=serializers.SignOffGroupMemberAddSerializer,
        responses={201: serializers.SignOffGroupSerializer},
    )
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str) -> Response:
        """Add a member of the group's team who may sign off, by username."""
        group = self.get_object()
        data = validated(serializers.SignOffGroupMemberAddSerializer, request)
        user = User.objects.filter(username=data["user"]).first()
        if user is None:
            raise ValidationError({"user": services.not_a_signer(data["user"], group)})
        services.signoff_group_member_add(
            group=group, user=user, source=data["source"], by=request.user
        )
        body = serializers.SignOffGroupSerializer(self.get_object()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"members/(?P<username>[\w.@+-]{1,150})",
        url_name="member",
    )
    def member(self, request: Request, pk: str, username: str) -> Response:
        """Take a person out of the group."""
        group = self.get_object()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise NotFound("No such member of the group.")
        services.signoff_group_member_remove(group=group, user=user, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMemberViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Members of the caller's teams; the teams' admins add, re-role and remove
    them (apps.accounts.services, as the team settings page does)."""

    serializer_class = serializers.TeamMemberSerializer
    queryset = Membership.objects.none()

    def get_queryset(self) -> QuerySet[Membership]:
        members = Membership.objects.select_related("user")
        teams = permissions.team_ids_for(self.request.user)
        members = members if teams is None else members.filter(team_id__in=teams)
        return members.order_by("team_id", "role", "user__username")

    @extend_schema(
        request=serializers.TeamMemberAddSerializer,
        responses={201: serializers.TeamMemberSerializer},
    )
    def create(self, request: Request) -> Response:
        """Add a person with an account to one of the caller's teams."""
        data = validated(serializers.TeamMemberAddSerializer, request)
        team = data["team"]
        permissions.require(request.user, "manage_members", team)
        user = selectors.user_find(data["user"])
        if user is None:
            raise ValidationError({"user": "No account has that username or email."})
        if team.memberships.filter(user=user).exists():
            raise ValidationError(
                {"user": f"{user.get_username()} is already a member."}
            )
        membership = services.membership_set(
            team=team, user=user, role=data["role"], by=request.user
        )
        body = serializers.TeamMemberSerializer(membership).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.TeamMemberRoleSerializer,
        responses={200: serializers.TeamMemberSerializer},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a member's role."""
        membership = self.get_object()
        data = validated(serializers.TeamMemberRoleSerializer, request)
        membership = services.membership_set(
            team=membership.team,
            user=membership.user,
            role=data["role"],
            by=request.user,
        )
        return Response(serializers.TeamMemberSerializer(membership).data)

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_remove(membership=instance, by=self.request.user)
