"""Seed a private database for the PostgreSQL fault test (run as a subprocess).

Usage: python -m tests.resilience.seed_private TARGET_URL PROBES
Prints JSON: the release id and an API token of the release's lead.
"""

import json
import sys

import django


def main() -> None:
    django.setup()
    from django.contrib.auth.models import User

    from apps.accounts.models import Membership, Team
    from apps.catalog.models import Environment, Service
    from apps.checklists import services as checklists
    from apps.probes.models import ProbeConfig
    from apps.releases import services as releases

    target, count = sys.argv[1], int(sys.argv[2])
    template = checklists.template_ensure_default()
    team = Team.objects.create(name="Faults", slug="faults")
    lead = User.objects.create_user(username="fault-lead", password="pw-for-tests")
    Membership.objects.create(team=team, user=lead, role="lead")
    service = Service.objects.create(team=team, name="svc", slug="svc")
    environment = Environment.objects.create(service=service, name="prod")
    ProbeConfig.objects.bulk_create(
        ProbeConfig(
            environment=environment, name=f"p{n}", kind="http", target=target, timeout=8
        )
        for n in range(count)
    )
    release = releases.release_create(
        service=service,
        environment=environment,
        template=template,
        version="1.0.0",
        by=lead,
    )
    from apps.accounts.tokens import token_create

    _, secret = token_create(user=lead, name="fault test", expires_at=None)
    print(json.dumps({"release": release.pk, "token": secret}))


if __name__ == "__main__":
    main()
