"""core.rows.instance and core.rows.save: the hand-written reads and writes of a
tick build and write model instances exactly as the ORM does, on PostgreSQL and
on SQLite alike (JSON, time-zone-aware times, booleans, foreign keys)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import Team
from apps.core import rows
from apps.releases import selectors
from apps.releases.models import Release, ReleaseItem

pytestmark = pytest.mark.django_db


def _read(model, pk):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rows.columns(model, 'x')} FROM {rows.table(model)} x"  # noqa: S608
            " WHERE x.id = %s",
            [pk],
        )
        return rows.instance(model, cursor.fetchone())


def _values(instance):
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
    }


def test_an_instance_holds_what_the_orm_reads(release, lead):
    Release.objects.filter(pk=release.pk).update(
        deploy_waivers=[{"blocker": "item:1", "reason": "ü"}],
        planned_for=timezone.now() + timedelta(days=1),
        deployed_at=None,
    )
    for model, pk in (
        (Release, release.pk),
        (ReleaseItem, release.items.first().pk),
        (Team, release.team_id),
    ):
        built = _read(model, pk)
        assert _values(built) == _values(model.objects.get(pk=pk))
        assert built._state.adding is False and built._state.db == "default"
    built = _read(Release, release.pk)
    assert built.deploy_waivers == [{"blocker": "item:1", "reason": "ü"}]
    assert timezone.is_aware(built.planned_for)


def test_save_writes_what_save_update_fields_writes(release, lead):
    item = release.items.first()
    item.state, item.note, item.by_hand = "blocked", "Waiting on DNS", True
    item.changed_by, item.changed_at = lead, timezone.now()

    rows.save(item, ["state", "note", "by_hand", "changed_by", "changed_at"])

    again = ReleaseItem.objects.get(pk=item.pk)
    assert (again.state, again.note, again.by_hand) == (
        "blocked",
        "Waiting on DNS",
        True,
    )
    assert again.changed_by_id == lead.pk and again.changed_at == item.changed_at


def test_the_item_read_of_a_tick_is_scoped_to_the_team(release, lead, outsider):
    item = release.items.first()

    found = selectors.release_item_get_for_user(lead, item.pk)

    assert found.pk == item.pk and found.release.pk == release.pk
    assert found.release.team.pk == release.team_id
    for user, pk in ((outsider, item.pk), (lead, 2**63), (lead, -1), (lead, "x")):
        with pytest.raises(Http404, match="No such checklist item"):
            selectors.release_item_get_for_user(user, pk)
