"""GET /api/v1/metrics/delivery/: the delivery metrics of the caller's scope."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ThrottleFirstMixin
from apps.insights import metrics, selectors
from apps.insights.api import serializers


class DeliveryMetricsView(ThrottleFirstMixin, APIView):
    """The five DORA keys and the readiness metrics of production deploys."""

    @extend_schema(
        parameters=[serializers.DeliveryQuerySerializer],
        responses={200: serializers.DeliveryMetricsSerializer},
        operation_id="metrics_delivery",
    )
    def get(self, request: Request) -> Response:
        """The delivery metrics of the caller's teams' production deploys in the
        period (docs/metrics.md): each key's value, numerator and denominator
        where it is a ratio, sample size, weekly series; per service and
        environment, with their spread; the readiness metrics."""
        query = serializers.DeliveryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = selectors.scope_for_user(
            request.user, now=timezone.now(), **query.validated_data
        )
        return Response(metrics.delivery_metrics(scope))
