"""The one front door: announce an event to webhooks and by email.

Apps below announce through apps.core.events.publish(); subscribers.deliver()
hands every event to announce(), inside the announcing transaction. announce()
turns what the publisher gave into the event's payload, in the one shape
events.py gives it, and passes it to the two ways out: mail.notification_create()
for an emailed event, then services.webhook_deliveries_queue() for the webhooks
that hear it (services.webhooks_for()). Neither calls back here. What a
publisher gives decides what is built:

- `run=`: a finished probe run: probe_run.finished, and one probe.failed per
  failing probe of it (not emailed);
- `release=`: news about a release; ready, overridden and blocked are also
  emailed to the team;
- `key=`, `subject=`, `body=` (and `link=`, `data=`, `recipients=`): news told
  by email first; a repeated key announces nothing;
- anything else: the fields themselves, to webhooks (the audit chain's head).
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from apps.core.links import absolute_url
from apps.notifications import events, mail, services
from apps.notifications.models import Notification

RELEASE_EMAIL_EVENTS = ("release.ready", "release.overridden", "release.blocked")
PROBE_FAILED = events.EVENTS["probe.failed"].fields


@dataclass(frozen=True)
class Announcement:
    """What one announcement wrote: the email notification (None when the event
    is not emailed or its key was announced before) and the webhook deliveries."""

    notification: Notification | None = None
    deliveries: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Email:
    """The email side of an occurrence: its unique key, subject, body, and who
    gets it (None: the team's members, or admins without a team)."""

    key: str
    subject: str
    body: str
    recipients: Iterable[User] | None = None


def announce(event: str, *, team_id: int | None, **given: Any) -> Announcement:
    """Announce one event of a team (None: of no team) to whoever should hear it.

    Call it inside the transaction of the change: delivery rows commit with it
    and are sent after commit. Refuses an event without a schema (ValueError).
    """
    if event not in events.EVENTS:
        raise ValueError(f"Unknown event {event!r}.")
    if "run" in given:
        return _probe_run(given["run"])
    if "subject" in given:
        return _message(event, team_id, **given)
    if "release" in given:
        return _release_news(event, given.pop("release"), given)
    return _send(event, team_id, lambda: given)


def _send(
    event: str,
    team_id: int | None,
    payload: Callable[[], dict[str, Any]],
    email: Email | None = None,
) -> Announcement:
    # The payload is built only when someone hears the event: a release's
    # facts cost queries that a team without webhooks should not pay.
    webhooks = services.webhooks_for(event, team_id)
    if not webhooks and email is None:
        return Announcement()
    data = payload()
    notification = None
    if email is not None:
        notification = mail.notification_create(
            event=event,
            key=email.key,
            subject=email.subject,
            body=email.body,
            data=data,
            team_id=team_id,
            recipients=email.recipients,
        )
        if notification is None:
            return Announcement()
    deliveries = services.webhook_deliveries_queue(
        event=event, webhooks=webhooks, data=data
    )
    return Announcement(notification, deliveries)


def _email(
    *,
    key: str,
    subject: str,
    body: str,
    link: str = "",
    recipients: Iterable[User] | None = None,
) -> Email:
    if link:
        body = f"{body.rstrip()}\n\nOpen in Shipshape: {absolute_url(link)}\n"
    return Email(key, subject, body, recipients)


def _message(
    event: str,
    team_id: int | None,
    *,
    key: str,
    subject: str,
    body: str,
    link: str = "",
    data: dict[str, Any] | None = None,
    recipients: Iterable[User] | None = None,
) -> Announcement:
    payload = {**(data or {})}
    if link:
        payload["url"] = absolute_url(link)
    payload["subject"] = subject
    if event == "probe.failed":
        payload = probe_failed(**payload)
    email = _email(
        key=key, subject=subject, body=body, link=link, recipients=recipients
    )
    return _send(event, team_id, lambda: payload, email)


def release_facts(release: Any) -> dict[str, Any]:
    """Which release an event is about: the `release` field of its payload."""
    return {
        "id": release.pk,
        "service": release.service.name,
        "environment": release.environment.name,
        "version": release.version,
        "status": release.status,
        "path": release.get_absolute_url(),
        "url": absolute_url(release.get_absolute_url()),
    }


def _release_news(event: str, release: Any, extra: dict[str, Any]) -> Announcement:
    email = None
    if event in RELEASE_EMAIL_EVENTS:
        email = _release_email(event, release, extra)
    return _send(
        event,
        release.team_id,
        lambda: {"release": release_facts(release), **extra},
        email,
    )


def _release_email(event: str, release: Any, extra: dict[str, Any]) -> Email:
    what = f"{release.service.name} {release.version} → {release.environment.name}"
    details = ""
    if event == "release.ready":
        subject = f"Ready to deploy: {what}"
    elif event == "release.overridden":
        blockers = extra.get("blockers") or []
        subject = (
            f"Override: {what} marked {extra.get('status', '')} by "
            f"{extra.get('by', '')} against {len(blockers)} blocker(s)"
        )
        details = f"Reason: {extra.get('reason', '')}\n\nBlockers overridden:\n"
        details += "".join(f"- {blocker['text']}\n" for blocker in blockers[:20])
        if len(blockers) > 20:
            details += f"… and {len(blockers) - 20} more\n"
        details += "\n"
    else:
        subject = f"Blocked: {what}: {extra.get('text', '')}"
    return _email(
        # Each call is one occurrence: a release can be blocked, freed and
        # blocked again, and each time is worth telling.
        key=f"{event}:{release.pk}:{uuid.uuid4().hex}",
        subject=subject,
        body=f"{subject}\n\n{details}".rstrip(),
        link=release.get_absolute_url(),
    )


def probe_failed(**given: Any) -> dict[str, Any]:
    """The one shape of probe.failed, from a probe run's result or a scheduled
    check: every field of events.py in its order, those of the other source
    None; `name` and `probe` both hold the probe's name."""
    name = given.get("name") or given.get("probe")
    given["name"] = given["probe"] = name
    shaped = {each.name: given.pop(each.name, None) for each in PROBE_FAILED}
    return {**shaped, **given}


def _probe_run(run: Any) -> Announcement:
    release = run.release
    finished = services.webhooks_for("probe_run.finished", release.team_id)
    failed = services.webhooks_for("probe.failed", release.team_id)
    if not finished and not failed:
        return Announcement()
    facts = release_facts(release)
    deliveries: list[int] = []
    if finished:
        counts = {
            count: getattr(run, count)
            for count in ("passed", "warned", "failed", "errored")
        }
        data = {"release": facts, "run": run.pk, "status": run.status, **counts}
        deliveries += services.webhook_deliveries_queue(
            event="probe_run.finished", webhooks=finished, data=data
        )
    if failed:
        where = f"{facts['service']} / {facts['environment']}"
        for result in run.results.filter(status__in=("fail", "error")).order_by("id"):
            data = probe_failed(
                release=facts,
                run=run.pk,
                result=result.pk,
                environment=run.environment_id,
                environment_name=where,
                name=result.name,
                kind=result.kind,
                target=result.target,
                status=result.status,
                summary=result.summary,
                url=facts["url"],
                subject=f"FAILING: {result.name} on {where}",
            )
            deliveries += services.webhook_deliveries_queue(
                event="probe.failed", webhooks=failed, data=data
            )
    return Announcement(deliveries=deliveries)
