"""What notifications does with each event announced through apps.core.events.

Subscribed in NotificationsConfig.ready(). The announcing services pass what
they used to hand to this app directly, so each event is delivered as before:

- `run=`: a finished probe run, to webhooks, with one probe.failed per failing
  probe (services.emit_probe_run_finished);
- `release=`: news about a release, to webhooks, and by email for the events
  in services.RELEASE_EMAIL_EVENTS (services.emit_for_release);
- `subject=` and `body=`: news told by email first, then to webhooks that
  want it (mail.notify);
- no team (`team_id=None`): news of every team, such as the published head of
  the audit chain, to every team's webhooks that want it;
- anything else: the team's webhooks (services.emit).
"""

from typing import Any

from apps.notifications import mail, services
from apps.notifications.models import Webhook


def deliver(event: str, *, team_id: int | None, **payload: Any) -> None:
    """Deliver one announced event; called inside the announcing transaction."""
    if "run" in payload:
        services.emit_probe_run_finished(payload["run"])
    elif "release" in payload:
        services.emit_for_release(event, payload.pop("release"), **payload)
    elif "subject" in payload:
        mail.notify(event=event, team_id=team_id, **payload)
    elif team_id is None:
        teams = Webhook.objects.filter(active=True).values_list("team_id", flat=True)
        for each in sorted(set(teams)):
            services.emit(event, each, payload)
    else:
        services.emit(event, team_id, payload)
