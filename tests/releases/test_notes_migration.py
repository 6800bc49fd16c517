"""Migration 0005 fills the new release fields from the audit trail.

The rows below are shaped as the code before it left them: deploying wrote the
deployment notes over the release notes, and transitions kept who rolled back,
cancelled or overrode only in their audit events.
"""

from importlib import import_module

import pytest
from django.apps import apps

from apps.audit import services as audit
from apps.releases import services
from apps.releases.models import Release
from tests import factories

pytestmark = pytest.mark.django_db
migration = import_module(
    "apps.releases.migrations.0005_release_notes_override_and_closers"
)


def _old_transition(release: Release, by, **after) -> None:
    audit.record(
        actor=by,
        action="release.transitioned",
        target=release,
        team_id=release.team_id,
        release_id=release.pk,
        after=after,
    )


def test_deployment_notes_move_out_and_the_release_notes_come_back(
    release, lead, environment, template
):
    roller = factories.member(release.team, "lead")
    services.release_update(release=release, notes="first release", by=lead)
    _old_transition(
        release,
        lead,
        status="deployed",
        deployed_by=lead.username,
        notes="Went fine",
        reason="Hotfix",
        override=True,
    )
    _old_transition(release, roller, status="rolled_back", reason="Errors")
    Release.objects.filter(pk=release.pk).update(
        status="rolled_back", notes="Went fine", deployed_by=lead
    )
    other = services.release_create(
        service=environment.service,
        environment=environment,
        template=template,
        version="0.0.9",
        notes="kept as it is",
        by=lead,
    )
    _old_transition(other, roller, status="cancelled", reason="Superseded")
    Release.objects.filter(pk=other.pk).update(status="cancelled")

    migration.split_notes_and_record_transitions(apps, None)

    release.refresh_from_db()
    assert (release.notes, release.deployment_notes) == ("first release", "Went fine")
    assert (release.rolled_back_by, release.deployed_by) == (roller, lead)
    assert release.rolled_back_at is not None
    assert (release.override_status, release.override_by) == ("deployed", lead)
    assert release.override_reason == "Hotfix"
    assert release.override_blockers == migration.UNRECORDED
    other.refresh_from_db()
    assert (other.notes, other.deployment_notes) == ("kept as it is", "")
    assert (other.cancelled_by, other.override_at) == (roller, None)
