"""GitHub mappings over the API (leads write), and readiness by service,
environment and version for deploy platforms (Argo Rollouts, Argo CD)."""

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import caching
from apps.core.api import ViewSet, validated
from apps.integrations import attestation, lookups, selectors, services
from apps.integrations.api import serializers
from apps.integrations.models import GitHubMapping, GitLabMapping
from apps.integrations.services import ci
from apps.readiness.api.serializers import ReadinessSerializer
from apps.releases import revisions
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


class GitLabMappingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ViewSet
):
    """Which GitLab project environments wait on which service environments."""

    serializer_class = serializers.GitLabMappingSerializer
    queryset = GitLabMapping.objects.none()

    def get_queryset(self) -> QuerySet[GitLabMapping]:
        return selectors.gitlab_mapping_list_for_user(self.request.user)

    @extend_schema(
        request=serializers.GitLabMappingCreateSerializer,
        responses={201: serializers.GitLabMappingSerializer},
    )
    def create(self, request: Request) -> Response:
        """Map a GitLab project's environment to a service's environment; the
        access token is stored encrypted and never answered again."""
        data = validated(serializers.GitLabMappingCreateSerializer, request)
        mapping = services.gitlab_mapping_create(by=request.user, **data)
        body = serializers.GitLabMappingSerializer(mapping).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.GitLabTokenSerializer,
        responses={200: serializers.GitLabMappingSerializer},
    )
    @action(detail=True, methods=["put"])
    def token(self, request: Request, pk: int) -> Response:
        """Replace the mapping's access token; an empty one forgets it."""
        mapping = self.get_object()
        data = validated(serializers.GitLabTokenSerializer, request)
        mapping = services.gitlab_mapping_set_token(
            mapping=mapping, access_token=data["access_token"], by=request.user
        )
        return Response(serializers.GitLabMappingSerializer(mapping).data)

    def perform_destroy(self, instance: GitLabMapping) -> None:
        services.gitlab_mapping_delete(mapping=instance, by=self.request.user)


class ReadinessLookupView(APIView):
    """GET /api/v1/readiness/?service=…&environment=…&version=…|sha=…"""

    query: dict[str, str] | None = None

    def throttle_reads(self) -> list[str]:
        """The revision mirror of the release this process found for the same
        lookup a moment ago, read with the throttle's count
        (apps.core.api_defaults): a repeated poll makes one round trip."""
        try:
            self.query = serializers.readiness_lookup_query(self.request.query_params)
        except ValidationError:
            return []  # get() answers 400
        pk = lookups.release_kept(self.request.user, **self.query)
        return [] if pk is None else [revisions.key(pk)]

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
        query = self.query or serializers.readiness_lookup_query(request.query_params)
        pk, revision = lookups.release_found_for_user(
            request.user, read=getattr(self, "throttle_read", None), **query
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


def _ci_caller(request: Request) -> ci.CiCaller:
    if not isinstance(request.auth, ci.CiCaller):
        raise PermissionDenied(
            "Only a CI job's OIDC ID token asks this; with an API token use "
            "GET /api/v1/readiness/ and POST /api/v1/releases/."
        )
    return request.auth


class CiGateView(APIView):
    """GET /api/v1/integrations/ci/gate/: the verdict on the release a CI job's
    ID token names (keyless CI, docs/integrations.md)."""

    @extend_schema(
        parameters=[serializers.CiGateQuerySerializer],
        responses={200: ReadinessSerializer, 409: ReadinessSerializer},
    )
    def get(self, request: Request) -> Response:
        """The readiness JSON of the mapped environment's release for the job's
        tag (or short sha, or `version`): 200 when ready, 409 when not, so
        `curl --fail` stops the job; the job's claims are kept on the release."""
        caller = _ci_caller(request)
        query = serializers.CiGateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        query = query.validated_data
        release = ci.ci_release_find(caller, version=query.get("version", ""))
        if release is None:
            raise NotFound(
                f"No release {query.get('version') or caller.version} of "
                f"{caller.mapping.service.name} → {caller.mapping.environment.name} "
                "yet: create it with POST /api/v1/integrations/ci/releases/."
            )
        release = ci.ci_claims_record(caller=caller, release=release)
        answer = lookups.readiness_answer(release)
        body = ReadinessSerializer(answer).data | {"release": release.pk}
        return Response(body, status=200 if answer["ready"] else 409)


class CiReleaseView(APIView):
    """POST /api/v1/integrations/ci/releases/: a CI job opens its release."""

    @extend_schema(
        request=serializers.CiReleaseSerializer,
        responses={201: ReadinessSerializer, 200: ReadinessSerializer},
    )
    def post(self, request: Request) -> Response:
        """Find or create the mapped environment's release for the job's tag (or
        short sha, or `version`) from the team's default checklist, and keep the
        job's claims on it; 201 when created, 200 when it existed."""
        caller = _ci_caller(request)
        data = validated(serializers.CiReleaseSerializer, request)
        release, created = ci.ci_release_open(caller=caller, **data)
        body = ReadinessSerializer(lookups.readiness_answer(release)).data
        body = body | {"release": release.pk}
        return Response(body, status=201 if created else 200)
