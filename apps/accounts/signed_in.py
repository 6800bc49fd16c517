"""The signed-in person of a session, reused by a worker process for a moment.

Every page request of a signed-in person read their user row, and most also
their memberships (apps.accounts.permissions.role_of): two queries before the
page's own, a fifth of a tick's. As for API tokens (apps.accounts.tokens), a
process now reuses what it read for up to API_AUTH_CACHE_MS (at most a
second): deactivating someone, changing their password (which ends their other
sessions), removing them from a team or changing their role reaches every
process within that second, and the process that made the change at once
(apps.accounts.checked). The session itself is read on every request, so
signing out ends it at once everywhere.
"""

import copy
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User

from apps.accounts import checked
from apps.accounts.permissions import load_roles


def reused_user(user_id: object, load: Callable[[], User | None]) -> User | None:
    """The session's user (a copy: per-request caches live on it) with their
    roles, from this process's last read if it is recent enough, else from
    load(); None when load() finds nobody who may sign in."""
    kept = checked.user_get(user_id)
    if kept is not None and kept[1] > time.monotonic():
        return copy.copy(kept[0])
    started = time.monotonic()
    user = load()
    if user is None:
        return None
    load_roles(user)
    if settings.API_AUTH_CACHE_MS:
        checked.user_keep(user_id, user, started + settings.API_AUTH_CACHE_MS / 1000)
    return copy.copy(user)
