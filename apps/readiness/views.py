"""Release pages: the dashboard, history, a new release, a release, its items.

They compose the verdict with the panels of the apps below (sign-offs, probes,
policy, contacts, the audit timeline), so they live above them, here.
"""

from datetime import timedelta
from functools import partial
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    IntegerField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts import permissions
from apps.accounts.models import Team
from apps.accounts.sso import stepup
from apps.audit.selectors import audit_events_for_release
from apps.catalog.models import Environment, Service
from apps.contacts import selectors as contact_selectors
from apps.core import caching
from apps.core.forms import add_service_error
from apps.core.htmx import wants_fragment
from apps.maintenance import selectors as maintenance_selectors
from apps.maintenance import stamps as maintenance_stamps
from apps.probes import selectors as probe_selectors
from apps.probes.models import ProbeRun
from apps.readiness import stamps, tick
from apps.readiness.checklist import checklist
from apps.readiness.forms import (
    DashboardFilterForm,
    HistoryFilterForm,
    ItemStateForm,
    NoteStateForm,
    ReleaseForm,
    TransitionForm,
)
from apps.readiness.readiness import (
    Readiness,
    compute_readiness,
    compute_readiness_many,
)
from apps.releases import lifecycle, selectors, services
from apps.releases import stamps as release_stamps
from apps.releases.models import Release, ReleaseItem
from apps.releases.writes import ReleaseChange
from apps.signoffs import selectors as signoff_selectors

S = Release.Status
PAGE_SIZE = 20
RECENT = timedelta(days=30)
TIMELINE_LENGTH = 10
GROUPS = [
    ("in_progress", "In progress", (S.DRAFT, S.IN_PROGRESS)),
    ("ready", "Ready", (S.READY,)),
    ("deployed", "Recently deployed", (S.DEPLOYED,)),
    ("rolled_back", "Rolled back", (S.ROLLED_BACK,)),
    ("cancelled", "Cancelled", (S.CANCELLED,)),
]
FINISHED = (S.DEPLOYED, S.ROLLED_BACK, S.CANCELLED)
ACTION_ORDER = (S.IN_PROGRESS, S.READY, S.DEPLOYED, S.ROLLED_BACK, S.DRAFT, S.CANCELLED)
ACTION_LABELS = {
    (S.DRAFT, S.IN_PROGRESS): "Start the checklist",
    (S.IN_PROGRESS, S.DRAFT): "Back to draft",
    (S.IN_PROGRESS, S.READY): "Mark ready",
    (S.IN_PROGRESS, S.DEPLOYED): "Mark deployed",
    (S.READY, S.IN_PROGRESS): "Reopen",
    (S.READY, S.DEPLOYED): "Mark deployed",
    (S.DEPLOYED, S.ROLLED_BACK): "Roll back",
}


def _status_actions(
    release: Release, readiness: Readiness, user
) -> list[dict[str, object]]:
    """The status changes the lifecycle allows now, as buttons for this user."""
    if not permissions.can(user, "transition", release.team):
        return []
    may_override = permissions.can(user, "override", release.team)
    actions = []
    for target in ACTION_ORDER:
        override = False
        if target in lifecycle.allowed(release.status):
            override = target in lifecycle.VERDICT_REQUIRED and not readiness.ready
        elif lifecycle.needs_override(release.status, target):
            override = True
        else:
            continue
        if override and not may_override:
            continue
        label = ACTION_LABELS.get((release.status, target), "Cancel release")
        if override:
            label += " anyway"
        actions.append(
            {
                "target": target,
                "label": label,
                "override": override,
                "reason": override or target in lifecycle.REASON_REQUIRED,
                "notes": target == S.DEPLOYED,
                "danger": target in (S.ROLLED_BACK, S.CANCELLED),
            }
        )
    return actions


def _release_context(request: HttpRequest, release: Release) -> dict:
    items = list(release.items.select_related("changed_by"))
    readiness = compute_readiness(release, items)
    can_tick = permissions.can(request.user, "tick", release.team)
    for item in items:
        item.editable = can_tick and lifecycle.item_editable(release.status, item)
    context = signoff_selectors.signoff_panel(release, request.user)
    context.update(
        {
            "phases": checklist(items),
            "readiness": readiness,
            "can_tick": can_tick,
            "actions": _status_actions(release, readiness, request.user),
            "contacts": list(contact_selectors.contacts_for_service(release.service)),
            "resources": list(contact_selectors.resources_for_service(release.service)),
            # With their people, so the timeline names them as the page does.
            "events": list(
                audit_events_for_release(release.pk).select_related("actor")[
                    :TIMELINE_LENGTH
                ]
            ),
            "nav": "releases",
        }
    )
    context.update(
        probe_selectors.probe_panel(
            release, request.user, show_all="all" in request.GET
        )
    )
    return context


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Live releases grouped by status; the list is cached by the rows' revisions."""
    now = timezone.now()
    stamp = release_stamps.visible_releases(
        request.user,
        also=[partial(maintenance_stamps.overdue_stamp_sql, now=now)],
    )
    etag = caching.page_etag(
        request, caching.fragment_key("dashboard-page", request.GET.urlencode(), stamp)
    )
    unchanged = caching.not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    releases = selectors.release_list_for_user(request.user)
    form = _filter_form(request, DashboardFilterForm, releases, S.choices)
    if form.is_valid():
        releases = _filtered(releases, form.cleaned_data)
    if not (form.is_valid() and form.cleaned_data["status"]):
        # Without a status filter the dashboard shows what is live: finished
        # releases older than a month are in the history page.
        since = now - RECENT
        releases = releases.exclude(status=S.CANCELLED).exclude(
            status__in=(S.DEPLOYED, S.ROLLED_BACK), updated_at__lt=since
        )
    rank = Case(
        *[
            When(status__in=statuses, then=Value(position))
            for position, (_, _, statuses) in enumerate(GROUPS)
        ],
        output_field=IntegerField(),
    )
    releases = releases.annotate(rank=rank).order_by("rank", "-created_at")
    page = Paginator(releases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    can_create = _can_create(request.user)
    key = caching.fragment_key(
        "dashboard",
        request.GET.urlencode(),
        page.number,
        page.paginator.count,
        can_create,
        # The stamp counts every write to the teams' releases, also those that
        # bypass the services and leave the revision alone.
        stamp[:2],
        [
            (row.pk, row.revision, row.service.name, row.environment.name)
            for row in rows
        ],
    )
    overdue = maintenance_selectors.overdue_for_user(request.user, now)
    context = {
        "page": page,
        "can_create": can_create,
        "request": request,
    }
    groups = caching.render_fragment(
        request,
        key,
        "releases/partials/release_groups.html",
        lambda: {**context, "groups": _dashboard_groups(rows)},
    )
    context.update(form=form, release_groups=groups, nav="releases", overdue=overdue)
    return caching.with_etag(render(request, "releases/dashboard.html", context), etag)


def _dashboard_groups(rows: list[Release]) -> list[dict]:
    """The page's releases with their readiness, grouped by status."""
    items = selectors.gating_items_many([release.pk for release in rows])
    readiness = compute_readiness_many(rows, items)
    for release in rows:
        release.readiness = readiness[release.pk]
    return [
        {"key": GROUPS[rank][0], "title": GROUPS[rank][1], "releases": list(members)}
        for rank, members in groupby(rows, key=lambda release: release.rank)
    ]


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """Finished releases with filters; read-only for everyone."""
    releases = selectors.release_list_for_user(request.user).filter(status__in=FINISHED)
    outcomes = [(value, label) for value, label in S.choices if value in FINISHED]
    form = _filter_form(request, HistoryFilterForm, releases, outcomes)
    releases = releases.annotate(
        finished=Coalesce("rolled_back_at", "cancelled_at", "deployed_at", "updated_at")
    )
    if form.is_valid():
        releases = _filtered(releases, form.cleaned_data)
        if form.cleaned_data["finished_from"]:
            releases = releases.filter(
                finished__date__gte=form.cleaned_data["finished_from"]
            )
        if form.cleaned_data["finished_to"]:
            releases = releases.filter(
                finished__date__lte=form.cleaned_data["finished_to"]
            )
    releases = releases.select_related(
        "deployed_by", "rolled_back_by", "cancelled_by", "override_by"
    ).order_by("-finished", "-pk")
    page = Paginator(releases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "nav": "history"}
    return render(request, "releases/history.html", context)


def _filter_form(request: HttpRequest, form_class, releases, statuses):
    team_ids = releases.values("team_id")
    services = Service.objects.filter(team_id__in=team_ids)
    names = (
        Environment.objects.filter(service__in=services)
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return form_class(
        request.GET or None,
        services=services,
        environment_names=list(names),
        statuses=statuses,
    )


def _filtered(releases, data: dict):
    if data["q"]:
        releases = releases.filter(version__icontains=data["q"].strip())
    if data["service"]:
        releases = releases.filter(service=data["service"])
    if data["environment"]:
        releases = releases.filter(environment__name=data["environment"])
    if data["status"]:
        releases = releases.filter(status=data["status"])
    return releases


def _can_create(user) -> bool:
    """Whether the user leads any team, so may open a release somewhere."""
    teams = permissions.team_ids_for(user)
    if teams is None:
        return True
    return any(
        permissions.can(user, "create_release", Team(pk=team_id)) for team_id in teams
    )


@login_required
@require_http_methods(["GET", "POST"])
def release_new(request: HttpRequest) -> HttpResponse:
    if not _can_create(request.user):
        raise PermissionDenied("Only a team lead can open a release.")
    form = ReleaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            release = services.release_create(by=request.user, **data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Release {release.version} opened.")
            return redirect(release)
    context = {"form": form, "nav": "releases"}
    return render(request, "releases/new.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The release page; its body is cached by revision and the viewer's role."""
    stamp = stamps.release_page(request.user, pk)
    key = _page_key(request, stamp)
    etag = caching.page_etag(request, key) if key else None
    unchanged = caching.not_modified(request, etag)
    if unchanged is not None:
        return unchanged
    release = selectors.release_get_for_user(request.user, pk)
    if key is None:
        return render(
            request, "releases/detail.html", _release_context(request, release)
        )
    body = caching.render_fragment(
        request,
        key,
        "releases/partials/release_body.html",
        lambda: _release_context(request, release),
    )
    context = {"release": release, "body": body, "nav": "releases"}
    return caching.with_etag(render(request, "releases/detail.html", context), etag)


def _page_key(request: HttpRequest, stamp: stamps.PageStamp) -> str | None:
    """What the page body depends on, or None while a probe run is in flight.

    Every write that changes the page bumps release.revision; a running probe
    run records results without one, so its page is never cached. Contacts
    belong to the service, so their count and last change are part of the key.
    The sign-off panel offers each viewer the roles they may sign, so the key
    names the viewer and what decides who may sign.
    """
    status = stamp.latest_run_status
    if status is not None and status not in ProbeRun.FINISHED:
        return None
    role = "superuser" if request.user.is_superuser else stamp.viewer_role
    return caching.fragment_key(
        "release",
        stamp.release_id,
        stamp.revision,
        role,
        request.user.pk,
        "all" in request.GET,
        stamp.latest_run_id,
        *stamp.contacts,
        *stamp.resources,
        *stamp.signers,
    )


def _item_response(
    request: HttpRequest,
    item: ReleaseItem,
    form=None,
    *,
    editing: bool = False,
    written: tick.TickState | None = None,
) -> HttpResponse:
    """The item's row, plus the readiness bar and section progress out of band,
    judged from the tick's cached inputs when nothing else changed
    (apps.readiness.tick): those the write carried forward (`written`), or those
    of the release's current version."""
    release = item.release
    state = written or tick.current(release, item)
    verdict = tick.tick_verdict(state, item, at=timezone.now())
    current = verdict.item or item
    can_tick = permissions.can(request.user, "tick", release.team)
    current.editable = can_tick and lifecycle.item_editable(release.status, current)
    context = {
        "item": current,
        "release": release,
        "section": verdict.section,
        "form": form,
        "editing": editing,
        "readiness": verdict.readiness,
        "oob": True,
    }
    return render(request, "releases/partials/item_changed.html", context)


@login_required
@require_GET
def item_row(request: HttpRequest, item_id: int) -> HttpResponse:
    """An item's row; with ?edit, the row asking why it is n/a or blocked."""
    item = selectors.release_item_get_for_user(request.user, item_id)
    if not wants_fragment(request):
        return redirect(f"{item.release.get_absolute_url()}#item-{item.pk}")
    editing = "edit" in request.GET
    if editing:
        permissions.require(request.user, "tick", item.release.team)
    form = NoteStateForm(
        initial={"state": item.state if item.state in ("na", "blocked") else "na"}
    )
    return _item_response(request, item, form, editing=editing)


@require_POST
@login_required
def item_state(request: HttpRequest, item_id: int) -> HttpResponse:
    # The cache stamp's facts are read with the item, before any lock: the
    # write's lock is held for as short a time as it can be.
    item, facts = selectors.release_item_read_for_user(
        request.user, item_id, stamps.tick_facts_sql()
    )
    permissions.require(request.user, "tick", item.release.team)
    wants_note = request.POST.get("state") in ReleaseItem.NOTE_REQUIRED
    form = (NoteStateForm if wants_note else ItemStateForm)(request.POST)
    failed = True
    written = None
    if form.is_valid():
        try:
            release = item.release
            # The tick's inputs are carried forward in the write's transaction,
            # under the release's row lock, so the next tick finds them; the
            # answer is judged and rendered after the commit.
            carried: list[tick.TickState] = []

            def carry(written: ReleaseItem, change: ReleaseChange) -> None:
                # The service hands over the locked release, counted.
                # It drops the revision's mirror too, in the round trip that
                # carries the inputs forward (forget=False below).
                carried.append(
                    tick.carry_forward(
                        written.release, written, change, facts, forget=True
                    )
                )

            item = services.release_item_set_state(
                item=item,
                by=request.user,
                then=carry,
                forget=False,
                **form.cleaned_data,
            )
            written = carried[0]
            # The selector already loaded the release and its team: reuse them
            # rather than read both again for the response.
            item.release = release
            failed = False
        except ValidationError as error:
            add_service_error(form, error)
    if not wants_fragment(request):
        if failed:
            messages.error(request, " ".join(_errors(form)))
        return redirect(f"{item.release.get_absolute_url()}#item-{item.pk}")
    return _item_response(
        request, item, form, editing=failed and wants_note, written=written
    )


def _errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


@require_POST
@login_required
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    release = selectors.release_get_for_user(request.user, pk)
    permissions.require(request.user, "transition", release.team)
    form = TransitionForm(request.POST)
    if form.is_valid() and form.cleaned_data["override"] and stepup.required(request):
        # Overriding is a signature: it needs a fresh sign-in at the provider.
        target = Release.Status(form.cleaned_data["target"]).label
        reason = form.cleaned_data["reason"].strip()
        return stepup.detour(
            request,
            fields=request.POST.dict(),
            summary=f"Override the readiness gate: move {release.service.name} "
            f"{release.version} to {target}. Reason: {reason}",
        )
    if form.is_valid():
        try:
            release = services.release_transition(
                release=release, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            _say_moved(request, release)
            if wants_fragment(request):
                return HttpResponseClientRedirect(release.get_absolute_url())
            return redirect(release)
    if not wants_fragment(request):
        messages.error(request, " ".join(_errors(form)))
        return redirect(release)
    readiness = compute_readiness(release)
    context = {
        "release": release,
        "readiness": readiness,
        "actions": _status_actions(release, readiness, request.user),
        "action_form": form,
        "failed_target": request.POST.get("target"),
    }
    return render(request, "releases/partials/status_actions.html", context)


def _say_moved(request: HttpRequest, release: Release) -> None:
    """Confirm a status change; an override is never confirmed as readiness."""
    if not release.override_stands:
        messages.success(request, f"The release is now {release.status_label.lower()}.")
        return
    count = len(release.override_blockers)
    messages.warning(
        request,
        f"{release.status_label}: {count} blocker{'s' if count != 1 else ''} "
        "overridden. The override, its reason and the blockers are on record.",
    )
