"""config/env.py: each reader's default, its accepted spellings, and its refusals.

Plain functions over os.environ (set per test with monkeypatch); no database.
"""

from datetime import timedelta
from pathlib import Path

import pytest

from config.env import (
    ConfigurationError,
    env_bool,
    env_duration,
    env_int,
    env_list,
    env_secret,
    env_site_url,
    env_str,
    names_read,
    parse_database_url,
)

NAME = "SHIPSHAPE_TEST_SETTING"


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


def test_env_str_reads_the_value_or_the_default(monkeypatch):
    assert env_str(NAME) == ""
    assert env_str(NAME, "plain") == "plain"
    monkeypatch.setenv(NAME, " keep spaces ")
    assert env_str(NAME, "plain") == " keep spaces "


def test_env_str_keeps_an_empty_value(monkeypatch):
    monkeypatch.setenv(NAME, "")

    assert env_str(NAME, "plain") == ""


@pytest.mark.parametrize("raw", ["true", "TRUE", "True", "1", "yes", "on", " true "])
def test_env_bool_accepts_true(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    assert env_bool(NAME, False) is True


@pytest.mark.parametrize("raw", ["false", "FALSE", "0", "no", "off", " Off "])
def test_env_bool_accepts_false(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    assert env_bool(NAME, True) is False


def test_env_bool_unset_or_empty_is_the_default(monkeypatch):
    assert env_bool(NAME, True) is True
    assert env_bool(NAME, False) is False
    monkeypatch.setenv(NAME, "")
    assert env_bool(NAME, True) is True


def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv(NAME, "maybe")

    with pytest.raises(ConfigurationError) as error:
        env_bool(NAME, True)
    assert str(error.value) == f"{NAME} must be true or false, not 'maybe'."


def test_env_int_reads_whole_numbers(monkeypatch):
    assert env_int(NAME, 60) == 60
    monkeypatch.setenv(NAME, "")
    assert env_int(NAME, 60) == 60
    monkeypatch.setenv(NAME, "-5")
    assert env_int(NAME, 60) == -5
    monkeypatch.setenv(NAME, " 42 ")
    assert env_int(NAME, 60) == 42


@pytest.mark.parametrize("raw", ["soon", "1.5", "10s", "0x10"])
def test_env_int_refuses_what_is_not_a_whole_number(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ConfigurationError) as error:
        env_int(NAME, 60)
    assert str(error.value) == f"{NAME} must be a whole number, not {raw!r}."


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("3600", 3600), ("45s", 45), ("30m", 1800), ("24h", 86400), ("7D", 604800)],
)
def test_env_duration_reads_seconds_or_a_number_with_a_unit(monkeypatch, raw, seconds):
    monkeypatch.setenv(NAME, raw)

    assert env_duration(NAME, timedelta(hours=1)) == timedelta(seconds=seconds)


def test_env_duration_unset_or_blank_is_the_default(monkeypatch):
    assert env_duration(NAME, timedelta(hours=24)) == timedelta(hours=24)
    monkeypatch.setenv(NAME, "  ")
    assert env_duration(NAME, timedelta(hours=24)) == timedelta(hours=24)


@pytest.mark.parametrize("raw", ["0", "0h", "-5m", "1.5h", "h", "10w", "ten"])
def test_env_duration_refuses_what_is_not_a_positive_duration(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ConfigurationError) as error:
        env_duration(NAME, timedelta(hours=24))
    assert str(error.value) == (
        f"{NAME} must be a positive duration such as 3600, 30m, 24h or 7d, not {raw!r}."
    )


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv(NAME, " a.example.com, ,b.example.com,,")

    assert env_list(NAME, ["default"]) == ["a.example.com", "b.example.com"]


def test_env_list_unset_is_a_copy_of_the_default(monkeypatch):
    default = ["127.0.0.1"]

    value = env_list(NAME, default)
    value.append("changed")

    assert default == ["127.0.0.1"]
    assert env_list(NAME) == []


def test_env_list_set_but_empty_is_an_empty_list(monkeypatch):
    monkeypatch.setenv(NAME, "")

    assert env_list(NAME, ["127.0.0.1"]) == []


def test_env_secret_reads_the_variable_or_the_default(monkeypatch):
    assert env_secret(NAME) == ""
    assert env_secret(NAME, "fallback") == "fallback"
    monkeypatch.setenv(NAME, "s3cret")
    assert env_secret(NAME) == "s3cret"


def test_env_secret_file_wins_and_is_stripped(monkeypatch, tmp_path: Path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv(NAME, "from-variable")
    monkeypatch.setenv(f"{NAME}_FILE", str(secret))

    assert env_secret(NAME) == "from-file"


def test_env_secret_names_an_unreadable_file(monkeypatch, tmp_path: Path):
    missing = tmp_path / "missing"
    monkeypatch.setenv(f"{NAME}_FILE", str(missing))

    with pytest.raises(ConfigurationError) as error:
        env_secret(NAME)
    assert str(error.value).startswith(
        f"{NAME}_FILE points at {str(missing)!r}, which cannot be read: "
    )


def test_the_helpers_record_the_names_they_read():
    env_str("SHIPSHAPE_TEST_STR")
    env_bool("SHIPSHAPE_TEST_BOOL", False)
    env_int("SHIPSHAPE_TEST_INT", 1)
    env_list("SHIPSHAPE_TEST_LIST")
    env_secret("SHIPSHAPE_TEST_SECRET")
    env_duration("SHIPSHAPE_TEST_DURATION", timedelta(hours=1))
    env_site_url("SHIPSHAPE_TEST_SITE_URL")

    assert {
        "SHIPSHAPE_TEST_DURATION",
        "SHIPSHAPE_TEST_SITE_URL",
        "SHIPSHAPE_TEST_STR",
        "SHIPSHAPE_TEST_BOOL",
        "SHIPSHAPE_TEST_INT",
        "SHIPSHAPE_TEST_LIST",
        "SHIPSHAPE_TEST_SECRET",
        "SHIPSHAPE_TEST_SECRET_FILE",
    } <= names_read()


def test_names_read_is_a_snapshot():
    snapshot = names_read()
    env_str("SHIPSHAPE_TEST_LATER")

    assert isinstance(snapshot, frozenset)
    assert "SHIPSHAPE_TEST_LATER" not in snapshot
    assert "SHIPSHAPE_TEST_LATER" in names_read()


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("https://shipshape.example.com", "https://shipshape.example.com"),
        ("https://shipshape.example.com/", "https://shipshape.example.com"),
        ("http://127.0.0.1:8000/ship/", "http://127.0.0.1:8000/ship"),
        (" https://shipshape.example.com ", "https://shipshape.example.com"),
    ],
)
def test_env_site_url_reads_a_base_url_without_a_trailing_slash(
    monkeypatch, raw, value
):
    monkeypatch.setenv(NAME, raw)

    assert env_site_url(NAME) == value


def test_env_site_url_unset_is_the_default_or_nothing(monkeypatch):
    assert env_site_url(NAME) == ""
    assert env_site_url(NAME, "http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    monkeypatch.setenv(NAME, "")
    assert env_site_url(NAME, "http://127.0.0.1:8000") == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "raw", ["shipshape.example.com", "ftp://example.com", "https://", "https:///x"]
)
def test_env_site_url_refuses_what_is_not_an_http_address(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ConfigurationError) as error:
        env_site_url(NAME)
    assert str(error.value) == (
        f"{NAME} must be an http:// or https:// address such as "
        f"https://shipshape.example.com, not {raw!r}."
    )


@pytest.mark.parametrize(
    "raw", ["https://example.com/?next=/", "https://example.com/#top"]
)
def test_env_site_url_refuses_a_query_or_a_fragment(monkeypatch, raw):
    monkeypatch.setenv(NAME, raw)

    with pytest.raises(ConfigurationError) as error:
        env_site_url(NAME)
    assert str(error.value) == f"{NAME} must not have a query or a fragment."


def test_parse_database_url_sqlite_relative_to_the_project():
    assert parse_database_url("sqlite:///db.sqlite3", base_dir=Path("/srv/app")) == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "/srv/app/db.sqlite3",
    }


def test_parse_database_url_sqlite_absolute_path():
    config = parse_database_url("sqlite:////var/lib/db.sqlite3", base_dir=Path("/x"))

    assert config["NAME"] == "/var/lib/db.sqlite3"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql", "POSTGRES"])
def test_parse_database_url_postgres(scheme):
    url = f"{scheme}://ship%40ops:p%2Fss@db.internal:6432/ship_shape?sslmode=require"

    assert parse_database_url(url, base_dir=Path("/x")) == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "ship_shape",
        "USER": "ship@ops",
        "PASSWORD": "p/ss",
        "HOST": "db.internal",
        "PORT": "6432",
        "OPTIONS": {"sslmode": "require"},
    }


def test_parse_database_url_postgres_without_port_or_credentials():
    config = parse_database_url("postgres://localhost/shipshape", base_dir=Path("/x"))

    assert (config["USER"], config["PASSWORD"], config["PORT"]) == ("", "", "")
    assert config["HOST"] == "localhost"


def test_parse_database_url_refuses_a_malformed_port():
    with pytest.raises(ConfigurationError) as error:
        parse_database_url("postgres://db:port/name", base_dir=Path("/x"))
    assert str(error.value) == "DATABASE_URL has a malformed port."


@pytest.mark.parametrize(
    ("url", "scheme"),
    [("mysql://db/name", "mysql"), ("db.sqlite3", "nothing")],
)
def test_parse_database_url_refuses_other_schemes(url, scheme):
    with pytest.raises(ConfigurationError) as error:
        parse_database_url(url, base_dir=Path("/x"))
    assert str(error.value) == (
        f"DATABASE_URL must start with postgres:// or sqlite:///, not {scheme}://."
    )
