"""Typed readers for settings that come from the environment."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

# Every variable the settings read, so that none of them can be handed to a
# probe as its secret (PROBE_SECRET_ENV_ALLOWED, checked at the end of settings).
_names_read: set[str] = set()


class ConfigurationError(Exception):
    """A setting in the environment is missing or malformed."""


def names_read() -> frozenset[str]:
    """The environment variables read through these helpers so far."""
    return frozenset(_names_read)


def env_str(name: str, default: str = "") -> str:
    _names_read.add(name)
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean that must be spelled true or false (any case), or be unset."""
    _names_read.add(name)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"true", "1", "yes", "on"}:
        return True
    if value in {"false", "0", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    _names_read.add(name)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(
            f"{name} must be a whole number, not {raw!r}."
        ) from None


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_duration(name: str, default: timedelta) -> timedelta:
    """Read a positive duration: seconds, or a number with a unit (30m, 24h, 7d)."""
    _names_read.add(name)
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip().lower()
    unit = DURATION_UNITS.get(text[-1:])
    number = text[:-1] if unit else text
    if not number.isdigit() or int(number) == 0:
        raise ConfigurationError(
            f"{name} must be a positive duration such as 3600, 30m, 24h or 7d, "
            f"not {raw!r}."
        )
    return timedelta(seconds=int(number) * (unit or 1))


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list; blanks are dropped."""
    _names_read.add(name)
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_secret(name: str, default: str = "") -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (Docker and k8s)."""
    _names_read.update((name, f"{name}_FILE"))
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as error:
            raise ConfigurationError(
                f"{name}_FILE points at {path!r}, which cannot be read: {error}."
            ) from None
    return os.environ.get(name, default)


def env_site_url(name: str, default: str = "") -> str:
    """Read a site's base URL, http(s)://host[:port][/path], without a trailing /."""
    _names_read.add(name)
    raw = os.environ.get(name)
    value = (default if raw is None or raw == "" else raw).strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigurationError(
            f"{name} must be an http:// or https:// address such as "
            f"https://shipshape.example.com, not {raw!r}."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{name} must not have a query or a fragment.")
    return value


def parse_database_url(url: str, *, base_dir: Path) -> dict:
    """Turn postgres://user:pass@host:port/name or sqlite:///path into DATABASES."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw_path = unquote(parts.path)
        # sqlite:///db.sqlite3 is relative to the project; sqlite:////abs is absolute.
        path = raw_path[1:] if raw_path.startswith("/") else raw_path
        name = path if Path(path).is_absolute() else str(base_dir / path)
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name or ":memory:"}
    if scheme in {"postgres", "postgresql", "pgsql"}:
        options = dict(parse_qsl(parts.query))
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError("DATABASE_URL has a malformed port.") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
        }
    raise ConfigurationError(
        "DATABASE_URL must start with postgres:// or sqlite:///, "
        f"not {scheme or 'nothing'}://."
    )
