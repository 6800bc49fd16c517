"""{% oncall_panel team service %}: who is on call now, for the release page."""

from django import template

from apps.oncall import services

register = template.Library()


@register.inclusion_tag("oncall/partials/oncall_panel.html")
def oncall_panel(team, service=None) -> dict:
    """The on-call person now and the escalation contacts of the team or service."""
    return {
        "duty": services.on_call_now(team),
        "oncall_team": team,
    }
