"""What notifications does with each event announced through apps.core.events.

Subscribed in NotificationsConfig.ready(): every event goes through the one
front door, announcements.announce(), which says what each publisher's
arguments become.
"""

from typing import Any

from apps.notifications import announcements


def deliver(event: str, *, team_id: int | None, **payload: Any) -> None:
    """Deliver one announced event; called inside the announcing transaction."""
    announcements.announce(event, team_id=team_id, **payload)
