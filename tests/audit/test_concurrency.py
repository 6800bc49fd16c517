"""Concurrent appends on PostgreSQL never fork the chain.

Each thread has its own database connection and commits its own transactions,
so the test needs transactional_db (committed rows, flushed afterwards).
"""

import threading

import pytest
from django.db import connection

from apps.audit import services, verification
from apps.audit.models import AuditEvent, AuditHead

WRITERS = 8
EACH = 25


@pytest.mark.postgres
@pytest.mark.parametrize("head", ["kept", "missing"])
def test_parallel_appends_leave_an_intact_chain_without_gaps(transactional_db, head):
    if head == "missing":  # a table emptied since migrate: the first appends make it
        AuditHead.objects.all().delete()
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for index in range(EACH):
                services.record(
                    actor=None,
                    actor_label=f"writer {number}",
                    action="test.appended",
                    target_type="test",
                    target_id=f"{number}-{index}",
                )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH + 1))
    targets = AuditEvent.objects.values_list("target_id", flat=True)
    assert len(set(targets)) == WRITERS * EACH
    report = verification.chain_verify()
    assert report.ok, report.problem
    assert report.checked == WRITERS * EACH
