"""GitHub mappings over the API (leads write), and readiness by service,
environment and version for deploy platforms (Argo Rollouts, Argo CD)."""

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import caching
from apps.core.api import ViewSet, validated
from apps.integrations import attestation, lookups, selectors, services
from apps.integrations.api import serializers
from apps.integrations.models import GitHubMapping
from apps.readiness.api.serializers import ReadinessSerializer
from apps.releases import selectors as release_selectors


class GitHubMappingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Which GitHub repository environments wait on which service environments."""

    serializer_class = serializers.GitHubMappingSerializer
    queryset = GitHubMapping.objects.none()

    def get_queryset(self) -> QuerySet[GitHubMapping]:
        return selectors.github_mapping_list_for_user(self.request.user)

    @extend_schema(
        request=serializers.GitHubMappingCreateSerializer,
        responses={201: serializers.GitHubMappingSerializer},
    )
    def create(self, request: Request) -> Response:
        """Map a repository's GitHub environment to a service's environment."""
        data = validated(serializers.GitHubMappingCreateSerializer, request)
        mapping = services.github_mapping_create(by=request.user, **data)
        body = serializers.GitHubMappingSerializer(mapping).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: GitHubMapping) -> None:
        services.github_mapping_delete(mapping=instance, by=self.request.user)


class ReadinessLookupView(APIView):
    """GET /api/v1/readiness/?service=…&environment=…&version=…|sha=…"""

    @extend_schema(
        parameters=[
            OpenApiParameter("service", str, description="Service id or name."),
            OpenApiParameter("environment", str, description="Environment id or name."),
            OpenApiParameter("version", str, required=False),
            OpenApiParameter("sha", str, required=False),
        ],
        responses={200: ReadinessSerializer},
    )
    def get(self, request: Request) -> HttpResponse:
        """The same answer as /api/v1/releases/{id}/readiness/, for the live
        release of that service, environment and version (or commit)."""
        query = serializers.ReadinessLookupSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        pk, revision = lookups.release_found_for_user(
            request.user, **query.validated_data
        )
        # The release endpoint's key: one cached answer (and ETag) for both;
        # the release itself is read only when the answer is not cached.
        key = caching.fragment_key("readiness", pk, revision)
        return caching.cached_json(
            request,
            key,
            lambda: (
                ReadinessSerializer(
                    lookups.readiness_answer(lookups.release_get(pk))
                ).data
            ),
            near=True,
        )


class AttestationView(APIView):
    """GET /api/v1/releases/{id}/attestation/: the verdict, signed."""

    @extend_schema(responses={200: serializers.EnvelopeSerializer})
    def get(self, request: Request, pk: int) -> Response:
        """The release's verdict as an in-toto Statement (SLSA Verification
        Summary v1) in a DSSE envelope signed with the instance's Ed25519 key;
        scripts/verify_attestation.py checks it offline. 503 without a key."""
        release = release_selectors.release_get_for_user(request.user, pk)
        try:
            body = attestation.envelope(release)
        except ImproperlyConfigured:
            return Response(
                {"detail": "Attestations are not configured (ATTESTATION_KEY_FILE)."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(body)
