"""Announcing events: the one front door from the apps below notifications to it.

A service calls publish() inside its transaction, after its audit event.
Subscribers run at once, in that transaction, so what they write (delivery
rows) commits or rolls back with the change; they send only after commit, so a
rolled-back change never announces itself. apps.notifications subscribes in
its AppConfig.ready(). No Django signals: a publisher's failure to reach a
subscriber is an error in its own call, not a silent drop.

The payload is passed through as it is: the release, run or message an event
is about, as the announcing service has it.
"""

from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]

_subscribers: list[Handler] = []


def subscribe(handler: Handler) -> None:
    """Have handler(event, team_id=..., **payload) called for every event; once."""
    if handler not in _subscribers:
        _subscribers.append(handler)


def publish(event: str, *, team_id: int | None, **payload: Any) -> None:
    """Announce an event of a team (None: of every team) to every subscriber."""
    for handler in list(_subscribers):
        handler(event, team_id=team_id, **payload)
