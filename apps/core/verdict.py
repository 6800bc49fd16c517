"""The readiness port: apps below apps.readiness ask it for the verdict here.

release_transition() judges readiness under the release's row lock, sign-offs
record the evidence they were shown, a tick asks whether a probe verifies its
item, and the sign-off and probe panels answer htmx with the readiness bar out
of band. All of that is known in apps.readiness, above them, which provides it
in its AppConfig.ready(). Asking before then raises ImproperlyConfigured: never
a silent "ready".
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Provider:
    """What apps.readiness answers with."""

    # compute_readiness(release, items=None, *, at=None, ...): the verdict.
    readiness: Callable[..., Any]
    # What a sign-off is shown: the settled gating items and passing probes.
    evidence_snapshot: Callable[[Any], dict]
    # An SQL EXISTS clause: whether an enabled probe of an environment (the
    # `environment` SQL, a %s parameter by default) verifies the release item
    # aliased by the first argument.
    verified_item_sql: Callable[..., str]


_provider: Provider | None = None


def provide(provider: Provider) -> None:
    """Install the implementation; apps.readiness calls it once, at start-up."""
    global _provider
    _provider = provider


def _installed() -> Provider:
    if _provider is None:
        raise ImproperlyConfigured(
            "No readiness provider: add apps.readiness to INSTALLED_APPS."
        )
    return _provider


def readiness(release: Any, items: Any = None, **options: Any) -> Any:
    """The release's verdict (apps.readiness.readiness.Readiness)."""
    return _installed().readiness(release, items, **options)


def evidence_snapshot(release: Any) -> dict:
    """The evidence a sign-off of the release records, as it stands now."""
    return _installed().evidence_snapshot(release)


def verified_item_sql(item: str, environment: str = "%s") -> str:
    """Whether a probe of the environment `environment` (SQL: a parameter, or a
    column) verifies the item aliased `item`, as an SQL EXISTS clause."""
    return _installed().verified_item_sql(item, environment)
