"""A release's readiness over the API: GET /api/v1/releases/{id}/readiness/."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import caching
from apps.core.api import ViewSet
from apps.readiness.api import serializers
from apps.readiness.readiness import compute_readiness
from apps.releases import revisions, selectors, stamps
from apps.releases.models import Release


class ReleaseReadinessViewSet(ViewSet):
    """The readiness of a release of the caller's teams; another team's is a 404.

    Registered under the releases prefix (config/api.py), beside the release
    resource itself (apps.releases.api), so the path is the release's.
    """

    queryset = Release.objects.none()

    def throttle_reads(self) -> list[str]:
        """The polled release's revision mirror, read with the throttle's count
        (apps.core.api_defaults): a poll makes one round trip to Redis."""
        pk = self.kwargs.get("pk", "")
        if self.action == "readiness" and pk.isdigit() and len(pk) < 20:
            return [revisions.key(int(pk))]
        return []

    @extend_schema(responses={200: serializers.ReadinessSerializer})
    @action(detail=True, methods=["get"])
    def readiness(self, request: Request, pk: str) -> Response:
        """Whether the release is ready, its score, and what blocks it.

        Pipelines poll this: the answer is cached by the release's revision (and
        the minute, as freeze windows and waivers change it without a write),
        and carries an ETag, so an unchanged answer can be a 304. The revision
        comes from its mirror in Redis (apps.releases.revisions) when it can.
        """
        revision = stamps.release_revision(
            request.user, int(pk), getattr(self, "throttle_read", None)
        )
        key = caching.fragment_key("readiness", pk, revision)

        def build() -> dict:
            release = selectors.release_get_for_user(request.user, pk)
            answer = {
                **compute_readiness(release).as_dict(),
                "override": release.override,
            }
            return serializers.ReadinessSerializer(answer).data

        return caching.cached_json(request, key, build, near=True)
