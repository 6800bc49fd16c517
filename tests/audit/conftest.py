"""Fixtures for attacking the audit trail the way someone with the database would."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from apps.audit import appendonly
from apps.audit.models import AuditEvent


@contextmanager
def triggers_dropped() -> Iterator[None]:
    """What a superuser can always do: switch the append-only triggers off.

    Used inside a test's transaction, which rolls the change back afterwards.
    """
    with connection.cursor() as cursor:
        for statement in appendonly.uninstall_sql(connection.vendor):
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in appendonly.install_sql(connection.vendor):
            cursor.execute(statement)


@pytest.fixture
def tamper() -> Callable[[], object]:
    return triggers_dropped


@pytest.fixture
def chain_of_five(engineer, team) -> list[AuditEvent]:
    """Events #1..#5: an engineer ticking five checklist items."""
    from apps.audit import services

    for number in range(1, 6):
        services.record(
            actor=engineer,
            action="release_item.state_changed",
            target_type="releases.releaseitem",
            target_id=number,
            team_id=team.pk,
            before={"state": "open"},
            after={"state": "done"},
        )
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    return events
