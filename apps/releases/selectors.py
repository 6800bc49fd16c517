"""Reads of releases, scoped to the teams the user belongs to."""

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.permissions import team_ids_for
from apps.releases.models import Release, ReleaseItem


def release_list_for_user(user: User) -> QuerySet[Release]:
    teams = team_ids_for(user)
    releases = Release.objects.select_related("service", "environment", "team")
    return releases if teams is None else releases.filter(team_id__in=teams)


def release_get_for_user(user: User, pk: int) -> Release:
    """The release, or 404 when it does not exist or belongs to another team."""
    try:
        return release_list_for_user(user).get(pk=pk)
    except (Release.DoesNotExist, ValueError, TypeError):
        raise Http404("No such release.") from None


def release_item_get_for_user(user: User, pk: int) -> ReleaseItem:
    teams = team_ids_for(user)
    items = ReleaseItem.objects.select_related("release", "release__team")
    if teams is not None:
        items = items.filter(release__team_id__in=teams)
    try:
        return items.get(pk=pk)
    except (ReleaseItem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such checklist item.") from None


def release_get_for_page(user: User, pk: int) -> Release:
    """release_get_for_user(), plus what keys the page's cached body, in the same
    query: the viewer's role (`viewer_role`), the latest probe run
    (`latest_run_id`, `latest_run_status`) and the count and newest change of
    the contacts and resources the page shows."""
    from django.db.models import (
        DateTimeField,
        F,
        Func,
        IntegerField,
        OuterRef,
        Q,
        Subquery,
    )

    from apps.accounts.models import Membership
    from apps.contacts.models import Contact, SupportResource
    from apps.probes.models import ProbeRun

    runs = ProbeRun.objects.filter(release=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    shown = Q(service=OuterRef("service_id")) | Q(
        service__isnull=True, team_id=OuterRef("team_id")
    )

    def stat(model, function: str, field: str, output):
        # An aggregate without GROUP BY: one row per release, even with none.
        return Subquery(
            model.objects.filter(shown)
            .order_by()
            .annotate(value=Func(F(field), function=function, output_field=output))
            .values("value")[:1]
        )

    # The membership join scopes the release and names the viewer's role in the
    # same query, so an unchanged page (304) costs no separate membership read.
    releases = Release.objects.select_related("service", "environment", "team")
    if not user.is_superuser:
        releases = releases.filter(team__memberships__user=user)
    roles = Membership.objects.filter(
        team_id=OuterRef("team_id"), user_id=user.pk
    ).order_by()
    releases = releases.annotate(
        viewer_role=Subquery(roles.values("role")[:1]),
        latest_run_id=Subquery(runs.values("id")[:1]),
        latest_run_status=Subquery(runs.values("status")[:1]),
        contacts_count=stat(Contact, "COUNT", "id", IntegerField()),
        contacts_changed=stat(Contact, "MAX", "updated_at", DateTimeField()),
        resources_count=stat(SupportResource, "COUNT", "id", IntegerField()),
        resources_changed=stat(SupportResource, "MAX", "updated_at", DateTimeField()),
    )
    try:
        return releases.get(pk=pk)
    except (Release.DoesNotExist, ValueError, TypeError):
        raise Http404("No such release.") from None


def release_evidence_many(release_ids: list[int]) -> dict[int, list]:
    """Each release's current probe evidence (its latest finished run's results),
    for many releases in one query; the fields readiness reads, not `observed`."""
    from django.db.models import F, OuterRef, Subquery

    from apps.probes.models import ProbeResult, ProbeRun

    latest = (
        ProbeRun.objects.filter(release_id=OuterRef("pk"), status__in=ProbeRun.FINISHED)
        .order_by("-finished_at", "-id")
        .values("id")[:1]
    )
    runs = (
        Release.objects.filter(pk__in=release_ids)
        .annotate(latest_run=Subquery(latest))
        .values("latest_run")
    )
    results = (
        ProbeResult.objects.filter(run_id__in=runs)
        .annotate(for_release=F("run__release_id"))
        .only("id", "run_id", "config_id", "name", "kind", "status", "summary")
        .order_by("name")
    )
    evidence: dict[int, list] = {}
    for result in results:
        evidence.setdefault(result.for_release, []).append(result)
    return evidence


def current_decisions_many(release_ids: list[int]) -> dict[int, dict]:
    """The latest sign-off per role of each release, for many releases at once."""
    from apps.signoffs.models import SignOff

    decisions: dict[int, dict] = {}
    signoffs = SignOff.objects.filter(release_id__in=release_ids).select_related("user")
    for signoff in signoffs.order_by("id"):
        decisions.setdefault(signoff.release_id, {})[signoff.role_key] = signoff
    return decisions
