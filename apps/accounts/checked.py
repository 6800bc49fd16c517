"""This process's reused token checks and signed-in people: which tokens were
found valid, which session users were read (with their roles), and until when
that may be relied on without reading them again.

Bearer authentication (apps.accounts.tokens) and the session backends
(apps.accounts.signed_in) fill it; any write to tokens, users, memberships or
single sign-on identities made in this process empties it (the models'
querysets and the signals AccountsConfig.ready() connects), so a change is seen
at once here and within API_AUTH_CACHE_MS in every other process.
"""

from dataclasses import dataclass
from typing import Any

# More distinct tokens than this in one process: start again rather than grow.
LIMIT = 1000


@dataclass(slots=True)
class Checked:
    """A token found valid, its owner, and until when (time.monotonic()) that
    check may be reused."""

    token: Any
    user: Any
    until: float


_checks: dict[str, Checked] = {}

# Session users by id: (the user, with their roles, and until when).
_users: dict[object, tuple[Any, float]] = {}


def get(digest: str) -> Checked | None:
    return _checks.get(digest)


def keep(digest: str, checked: Checked) -> None:
    _bounded_put(_checks, digest, checked)


def drop(digest: str) -> None:
    _checks.pop(digest, None)


def user_get(user_id: object) -> tuple[Any, float] | None:
    return _users.get(user_id)


def user_keep(user_id: object, user: Any, until: float) -> None:
    _bounded_put(_users, user_id, (user, until))


def _bounded_put(store: dict, key: object, value: object) -> None:
    """More than LIMIT entries in one process: start again rather than grow."""
    if len(store) >= LIMIT:
        store.clear()
    store[key] = value


def forget(*_args: Any, **_kwargs: Any) -> None:
    """Forget every check and user (a signal receiver too, hence the arguments)."""
    _checks.clear()
    _users.clear()
