"""Typed reading of a probe's string options; unknown or malformed ones are refused."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from apps.probes.kinds.result import ProbeError

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class Options:
    """A probe's options, checked against the keys its kind accepts.

    Options arrive as strings (from `--option KEY=VALUE` or a stored configuration);
    each getter converts one and raises ProbeError with the option's name when the
    value does not fit, so a typo is an `error`, never a silently ignored setting.
    """

    def __init__(self, options: Mapping[str, str] | None, allowed: Iterable[str]):
        self._values = dict(options or {})
        allowed = set(allowed)
        unknown = sorted(key for key in self._values if key not in allowed)
        if unknown:
            accepted = ", ".join(sorted(allowed)) or "none"
            raise ProbeError(
                f"unknown option {', '.join(unknown)} (accepted: {accepted})"
            )
        for key, value in self._values.items():
            if not isinstance(value, str):
                raise ProbeError(f"option {key} must be a string")

    def has(self, key: str) -> bool:
        """Whether the option was given at all."""
        return key in self._values

    def string(self, key: str, default: str | None = None) -> str | None:
        """The raw value, stripped; an empty value counts as absent."""
        value = self._values.get(key, "").strip()
        return value if value else default

    def choice(self, key: str, choices: Iterable[str], default: str) -> str:
        """One of a fixed set of values, compared case-insensitively."""
        choices = list(choices)
        value = self.string(key)
        if value is None:
            return default
        for choice in choices:
            if value.lower() == choice.lower():
                return choice
        raise ProbeError(f"option {key} must be one of {', '.join(choices)}")

    def boolean(self, key: str, default: bool) -> bool:
        """true/false, yes/no, 1/0 or on/off."""
        value = self.string(key)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ProbeError(f"option {key} must be true or false")

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        """A finite decimal number within the given bounds."""
        value = self.string(key)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ProbeError(f"option {key} must be a number, not {value!r}") from None
        if not math.isfinite(number):
            raise ProbeError(f"option {key} must be a finite number")
        if minimum is not None and number < minimum:
            raise ProbeError(f"option {key} must be at least {minimum:g}")
        if maximum is not None and number > maximum:
            raise ProbeError(f"option {key} must be at most {maximum:g}")
        return number

    def integer(
        self,
        key: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """A whole number within the given bounds."""
        value = self.string(key)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ProbeError(
                f"option {key} must be a whole number, not {value!r}"
            ) from None
        if minimum is not None and number < minimum:
            raise ProbeError(f"option {key} must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise ProbeError(f"option {key} must be at most {maximum}")
        return number

    def items(self, key: str) -> list[str]:
        """A comma-separated list, without empty entries."""
        value = self.string(key) or ""
        return [item.strip() for item in value.split(",") if item.strip()]
