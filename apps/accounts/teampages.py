"""What the team settings pages of several apps share (members here; services
in catalog, contacts in contacts): a form page that writes through one service
and goes back to its section's list."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from apps.core.forms import edit_page


def team_form_page(
    request: HttpRequest,
    *,
    team,
    section: str,
    form,
    title: str,
    save: Callable[[dict], object],
) -> HttpResponse:
    """A team settings form that writes through one service, then goes back to
    the section's list (`<section>:team`): services, contacts."""
    done = reverse(f"{section}:team", args=[team.slug])
    context = {
        "team": team,
        "title": title,
        "cancel": done,
        "nav": "team",
        "section": section,
    }
    return edit_page(
        request,
        form=form,
        save=save,
        done=done,
        template="accounts/team_form.html",
        context=context,
    )
