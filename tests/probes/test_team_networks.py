"""Internal targets per team: an admin opens a network to a team's probes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.probes import services
from apps.probes.models import TeamNetwork
from tests import factories


def test_an_admin_opens_a_network_and_port_to_the_teams_probes(team, settings):
    settings.PROBE_ALLOWED_NETWORKS = []
    admin = factories.member(team, "admin")
    services.team_network_add(team=team, cidr="10.20.0.0/16", ports="5432", by=admin)
    services.team_network_add(team=team, cidr="10.30.0.0/16", by=admin)

    # The ports travel with the network; the probe kind judges each connection.
    assert services.allowed_networks(team.pk) == [
        "10.20.0.0/16 ports=5432",
        "10.30.0.0/16",
    ]
    other = factories.TeamFactory()
    assert services.allowed_networks(other.pk) == []
    events = AuditEvent.objects.filter(action="team_network.added").order_by("seq")
    assert events[0].after == {"cidr": "10.20.0.0/16", "ports": "5432", "note": ""}


def test_a_network_row_with_malformed_ports_opens_nothing(team, settings):
    settings.PROBE_ALLOWED_NETWORKS = []
    # Written directly, as an old row or a hand edit could hold it: read as
    # "any port" it would open every port of the network.
    TeamNetwork.objects.create(team=team, cidr="10.20.0.0/16", ports="5432,http")

    assert services.allowed_networks(team.pk) == []


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
