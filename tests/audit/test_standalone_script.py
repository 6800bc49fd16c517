"""scripts/verify_chain.py agrees with apps/audit/chain.py, byte for byte."""

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.audit import chain

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "verify_chain.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("verify_chain", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAMPLES = [
    {},
    {
        "seq": 7,
        "created_at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "actor_id": 3,
        "actor_label": "zoë",
        "action": "release.transitioned",
        "target_type": "releases.release",
        "target_id": "42",
        "team_id": 1,
        "release_id": 42,
        "before": {"status": "ready"},
        "after": {"status": "deployed", "notes": '𝔘nicode ✓ "quoted"\n', "n": 1.5},
        "request_id": "abc",
        "ip": "::1",
        "user_agent": "curl/8",
        "extra": "ignored by both",
    },
    {"seq": 1, "before": {"b": [1, {"z": None, "a": True}]}, "after": {}, "ip": None},
]


@pytest.mark.parametrize("values", SAMPLES)
def test_script_and_app_produce_the_same_canonical_bytes_and_hash(script, values):
    exported = {
        key: chain.timestamp(value) if isinstance(value, datetime) else value
        for key, value in values.items()
    }
    assert script.FIELDS == chain.FIELDS
    assert script.GENESIS == chain.GENESIS
    assert script.canonical(exported) == chain.canonical(values)
    assert script.event_hash("ab" * 32, exported) == chain.event_hash("ab" * 32, values)


def test_script_needs_only_the_standard_library(tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text("")
    # -I: isolated mode, no site-packages, so Django is not importable.
    result = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(events)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "OK: 0 events" in result.stdout


def test_script_reports_unreadable_input_without_a_traceback(tmp_path):
    path = tmp_path / "not-json.txt"
    path.write_text("this is not json\n")
    for args in ([str(path)], [str(tmp_path / "missing.json")]):
        result = subprocess.run(
            [sys.executable, "-I", str(SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2
        assert result.stderr.startswith("error: ")
        assert "Traceback" not in result.stderr


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {field: JSON_VALUES for field in chain.FIELDS if field != "created_at"}
    ),
    created_at=st.datetimes(timezones=st.just(UTC)),
)
def test_script_and_app_agree_on_any_json_content(script, values, created_at):
    exported = {**values, "created_at": chain.timestamp(created_at)}
    with_time = {**values, "created_at": created_at}
    assert script.canonical(exported) == chain.canonical(with_time)


def _exported_chain(length: int) -> list[dict]:
    events, prev = [], chain.GENESIS
    for seq in range(1, length + 1):
        values = {field: None for field in chain.FIELDS}
        values.update(seq=seq, action="test.appended", before={}, after={"n": seq})
        values["created_at"] = "2026-01-01T00:00:00.000000+00:00"
        digest = chain.event_hash(prev, values)
        events.append({**values, "prev_hash": prev, "hash": digest})
        prev = digest
    return events


def test_script_finds_a_gap_only_when_asked_for_a_complete_chain(script):
    events = _exported_chain(5)
    del events[2]
    assert script.verify(events, complete=False)[0]
    ok, message = script.verify(events, complete=True)
    assert not ok
    assert message == "event #4: sequence jumps from 2"


def test_script_names_a_reordered_link_and_a_wrong_published_head(
    script, tmp_path, capsys
):
    events = _exported_chain(4)
    events[3]["prev_hash"] = events[1]["hash"]
    assert script.verify(events, complete=True) == (
        False,
        "event #4: previous hash does not match #3",
    )
    path = tmp_path / "events.json"
    path.write_text(json.dumps(_exported_chain(4)))
    assert script.main([str(path), "--published", f"2:{'b' * 64}"]) == 1
    assert "event #2: published hash" in capsys.readouterr().err
    head = _exported_chain(4)[1]["hash"]
    assert script.main([str(path), "--complete", "--published", f"2:{head}"]) == 0
