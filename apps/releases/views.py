"""Release pages: the dashboard, a release, and ticking its items."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts import permissions
from apps.releases import selectors, services
from apps.releases.forms import ItemStateForm
from apps.releases.readiness import compute_readiness


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    releases = selectors.release_list_for_user(request.user)[:50]
    return render(request, "releases/dashboard.html", {"releases": releases})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    release = selectors.release_get_for_user(request.user, pk)
    items = list(release.items.select_related("changed_by"))
    context = {
        "release": release,
        "items": items,
        "readiness": compute_readiness(release, items),
        "can_tick": permissions.can(request.user, "tick", release.team),
    }
    return render(request, "releases/detail.html", context)


@require_POST
@login_required
def item_state(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.release_item_get_for_user(request.user, item_id)
    permissions.require(request.user, "tick", item.release.team)
    form = ItemStateForm(request.POST)
    if form.is_valid():
        try:
            item = services.release_item_set_state(
                item=item, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
    return redirect(item.release)
