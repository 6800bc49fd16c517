"""core.rows.fetch: a values_list read without Django's converters."""

import pytest

from apps.catalog.models import Service
from apps.core.rows import EpochSeconds, fetch
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_fetch_gives_the_rows_values_list_gives():
    services = ServiceFactory.create_batch(3)
    queryset = (
        Service.objects.filter(pk__in=[service.pk for service in services])
        .annotate(created=EpochSeconds("created_at"))
        .order_by("pk")
        .values_list("pk", "name", "created")
    )
    rows = fetch(queryset)
    assert rows == [tuple(row) for row in queryset]
    assert [row[2] for row in rows] == [
        int(service.created_at.timestamp()) for service in services
    ]


def test_fetch_of_a_query_that_cannot_match_is_empty():
    # Django answers `pk__in=[]` without asking the database; so must fetch.
    assert fetch(Service.objects.filter(pk__in=[]).values_list("pk")) == []
