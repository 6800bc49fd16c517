"""Internal targets per team: an admin opens a network to a team's probes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.probes import services
from tests import factories


def test_an_admin_opens_a_network_and_port_to_the_teams_probes(team, settings):
    settings.PROBE_ALLOWED_NETWORKS = []
    admin = factories.member(team, "admin")
    services.team_network_add(team=team, cidr="10.20.0.0/16", ports="5432", by=admin)

    assert services.allowed_networks(team.pk, "postgres://db@10.20.1.5:5432/app") == [
        "10.20.0.0/16"
    ]
    assert services.allowed_networks(team.pk, "http://10.20.1.5:8080/") == []
    other = factories.TeamFactory()
    assert services.allowed_networks(other.pk, "postgres://db@10.20.1.5:5432/a") == []
    event = AuditEvent.objects.get(action="team_network.added")
    assert event.after == {"cidr": "10.20.0.0/16", "ports": "5432", "note": ""}


def test_leads_cannot_open_networks(team, lead):
    with pytest.raises(PermissionDenied):
        services.team_network_add(team=team, cidr="10.0.0.0/8", by=lead)


@pytest.mark.parametrize(
    ("cidr", "ports"), [("not-a-net", ""), ("10.0.0.0/8", "99999")]
)
def test_malformed_networks_are_refused(team, cidr, ports):
    admin = factories.member(team, "admin")
    with pytest.raises(ValidationError):
        services.team_network_add(team=team, cidr=cidr, ports=ports, by=admin)
    assert not AuditEvent.objects.filter(action="team_network.added").exists()
