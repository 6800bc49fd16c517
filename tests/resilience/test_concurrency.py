"""Races on PostgreSQL: the same thing done twice at the same instant.

Consistency rules, each tested below with real threads and real row locks:
- A probe batch delivered twice, even concurrently, records one result per
  (run, probe) and finishes the run once (unique constraint + a row lock on
  the run when finishing).
- Two people approving the same role of a release at the same instant: both
  decisions are kept, in order (decisions on a release are serialised by a
  lock on the release); the role's current decision is the later one; each has
  one audit event and the audit chain still verifies.
- One person approving two roles at the same instant (shared sign-offs off):
  exactly one approval is recorded; the other is refused, as it would be one
  after the other.
- Two runs started at once for one release: two whole, independent runs, each
  with exactly one result per probe and each finished once; readiness reads
  the latest.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from apps.audit.models import AuditEvent
from apps.audit.verification import chain_verify
from apps.probes import services as probes
from apps.probes.models import ProbeResult, ProbeRun
from apps.signoffs import selectors as signoff_selectors
from apps.signoffs import services as signoffs
from apps.signoffs.models import SignOff
from tests import factories

pytestmark = pytest.mark.postgres


def at_once(*calls):
    """Run the calls in threads released together; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # the test inspects what each call raised
            outcomes[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(index, call))
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def configured(transactional_db, release, lead, target_url):
    for n in range(5):
        probes.probe_config_save(
            environment=release.environment,
            by=lead,
            name=f"Health {n}",
            kind="http",
            target=f"{target_url}/slow",
        )
    return release


def test_a_batch_delivered_twice_at_once_records_each_result_once(configured, lead):
    # A queued run, as probe_run_start leaves it before its batch is delivered.
    ids = list(configured.environment.probe_configs.values_list("pk", flat=True))
    run = ProbeRun.objects.create(
        release=configured,
        environment=configured.environment,
        started_by=lead,
        config_ids=ids,
        queue="probes",
        deadline=configured.created_at.replace(year=2100),
    )

    outcomes = at_once(
        lambda: probes.probe_batch_execute(run_id=run.pk, config_ids=ids),
        lambda: probes.probe_batch_execute(run_id=run.pk, config_ids=ids),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert ProbeResult.objects.filter(run=run).count() == len(ids)
    run.refresh_from_db()
    assert run.finished
    finished = AuditEvent.objects.filter(
        action="probe_run.finished", target_id=str(run.pk)
    )
    assert finished.count() == 1


def test_two_people_approving_one_role_at_once_are_both_kept_in_order(
    transactional_db, release, engineer, second_engineer
):
    role = release.signoff_roles[0]["key"]

    outcomes = at_once(
        lambda: signoffs.signoff_record(
            release=release, role_key=role, decision="approve", by=engineer
        ),
        lambda: signoffs.signoff_record(
            release=release, role_key=role, decision="approve", by=second_engineer
        ),
    )

    assert all(isinstance(o, SignOff) for o in outcomes), outcomes
    decisions = list(SignOff.objects.filter(release=release).order_by("id"))
    assert {d.user_id for d in decisions} == {engineer.pk, second_engineer.pk}
    current = signoff_selectors.current_decisions(release)[role]
    assert current.pk == decisions[-1].pk
    assert AuditEvent.objects.filter(action__startswith="signoff.").count() == 2
    assert chain_verify().ok


def test_one_person_approving_two_roles_at_once_gets_exactly_one(
    transactional_db, release, engineer
):
    first, second = (role["key"] for role in release.signoff_roles[:2])

    outcomes = at_once(
        lambda: signoffs.signoff_record(
            release=release, role_key=first, decision="approve", by=engineer
        ),
        lambda: signoffs.signoff_record(
            release=release, role_key=second, decision="approve", by=engineer
        ),
    )

    recorded = [o for o in outcomes if isinstance(o, SignOff)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(recorded), len(refused)) == (1, 1), outcomes
    assert "already approved" in " ".join(refused[0].messages)
    assert SignOff.objects.filter(release=release).count() == 1


def test_two_runs_started_at_once_are_two_whole_runs(configured, lead):
    other = factories.member(configured.team, "engineer")

    outcomes = at_once(
        lambda: probes.probe_run_start(release=configured, by=lead),
        lambda: probes.probe_run_start(release=configured, by=other),
    )

    assert all(isinstance(o, ProbeRun) for o in outcomes), outcomes
    runs = list(ProbeRun.objects.filter(release=configured))
    assert len(runs) == 2
    for run in runs:
        assert run.finished
        assert run.results.count() == 5
        assert (
            AuditEvent.objects.filter(
                action="probe_run.finished", target_id=str(run.pk)
            ).count()
            == 1
        )
    assert chain_verify().ok


def test_ticks_racing_probe_runs_never_deadlock(configured, lead, engineer):
    # Found by bench/soak.py: a tick (release, then audit head) racing a probe
    # run's start or finish (audit head, then the release at COMMIT) deadlocked.
    from apps.releases import services as releases

    items = list(configured.items.filter(kind="check")[:16])
    failures = []
    for round_ in range(8):
        pair = items[2 * round_ : 2 * round_ + 2]
        outcomes = at_once(
            lambda item=pair[0]: releases.release_item_set_state(
                item=item, state="done", by=engineer
            ),
            lambda: probes.probe_run_start(release=configured, by=lead),
            lambda item=pair[1]: releases.release_item_set_state(
                item=item, state="done", by=engineer
            ),
        )
        failures += [o for o in outcomes if isinstance(o, Exception)]
    assert failures == []
    assert (
        ProbeRun.objects.filter(release=configured, finished_at__isnull=False).count()
        == 8
    )
    assert chain_verify().ok
