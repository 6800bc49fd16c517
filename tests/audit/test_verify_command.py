"""`manage.py verify_audit`: exit codes, counts, and the first broken event."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def test_intact_chain_exits_zero_with_a_count(chain_of_five, capsys):
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "Audit chain intact: 5 events checked" in out
    assert chain_of_five[-1].hash in out


def test_since_a_date_checks_only_that_days_events_onwards(chain_of_five, capsys):
    call_command("verify_audit", since=timezone.now().date().isoformat())
    assert "5 events checked since" in capsys.readouterr().out
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    call_command("verify_audit", since=tomorrow)
    assert "0 events checked" in capsys.readouterr().out


def test_broken_chain_exits_one_naming_the_event(chain_of_five, tamper):
    with tamper():
        AuditEvent.objects.filter(seq=4).update(actor_label="mallory")
    with pytest.raises(CommandError) as error:
        call_command("verify_audit")
    assert error.value.returncode == 1
    assert str(error.value) == (
        "Audit chain broken at event #4: content does not match its hash "
        "(3 events before it are intact)."
    )


def test_a_published_head_that_changed_is_reported(chain_of_five):
    call_command("verify_audit", published=f"3:{chain_of_five[2].hash}")
    with pytest.raises(CommandError) as error:
        call_command("verify_audit", published=f"3:{'a' * 64}")
    assert error.value.returncode == 1
    assert "the published head #3 had hash " + "a" * 64 in str(error.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "last tuesday"], "--since takes a date as YYYY-MM-DD"),
        (["--since", "2026-02-30"], "--since takes a date as YYYY-MM-DD"),
        (["--published", "12:nothex"], "--published takes SEQ:HASH"),
    ],
)
def test_bad_input_exits_two_with_a_clear_message_and_no_traceback(args, message):
    env = {**os.environ, "DATABASE_URL": "sqlite:///:memory:"}
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_audit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
