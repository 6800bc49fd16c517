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


@settings(max_examples=100, deadline=None)
@given(document=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5))
def test_script_and_app_agree_on_section_digests(script, document):
    assert script.section_digests(document) == chain.section_digests(document)


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


# A real deployment record, downloaded as JSON, then tampered with offline.
from tests.records.conftest import deployed_release  # noqa: E402, F401 (fixture)


@pytest.fixture
def record_file(client, auditor, deployed_release, tmp_path):  # noqa: F811
    client.force_login(auditor)
    url = f"/records/releases/{deployed_release.pk}/record.json"
    response = client.get(url)
    assert response.status_code == 200
    path = tmp_path / "record.json"
    path.write_bytes(response.content)
    return path


def _run(script, path, *args) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, "-I", str(SCRIPT), str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr


def test_an_untouched_deployment_record_passes_the_offline_check(script, record_file):
    record = json.loads(record_file.read_text())

    status, output = _run(script, record_file)

    seal = record["seal"]["event"]
    assert status == 0, output
    assert output.startswith(f"OK: {len(record['timeline'])} events")
    assert f"sealed by event #{seal['seq']} {seal['hash']}" in output


def _drop_middle_event(record: dict) -> None:
    del record["timeline"][len(record["timeline"]) // 2]


TAMPERING = {
    "an event removed from the middle": _drop_middle_event,
    "the last event removed": lambda r: r["timeline"].pop(),
    "the release edited": lambda r: r["release"].update(version="1.0.1"),
    "a checklist item edited": lambda r: r["checklist"][0].update(state="blocked"),
    "a sign-off edited": lambda r: r["signoffs"][0].update(comment="LGTM"),
    "a sign-off role edited": lambda r: r["signoff_roles"][0].update(by="ceo"),
    "probe evidence edited": lambda r: r["probe_evidence"][0].update(status="fail"),
    "the policy edited": lambda r: r["policy"]["verdict"].update(ready=False),
    "the audit head edited": lambda r: r["audit_head"].update(seq=1),
    "who took the copy edited": lambda r: r.update(generated_by="someone else"),
    "a section removed": lambda r: r.pop("probe_evidence"),
    "a section added": lambda r: r.update(remarks=["approved by phone"]),
    "the seal removed": lambda r: r.pop("seal"),
    "the seal's counts edited": lambda r: r["seal"]["event"]["after"].update(
        events=len(r["timeline"]) - 1
    ),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
def test_a_tampered_deployment_record_fails_the_offline_check(
    script, record_file, tampering
):
    record = json.loads(record_file.read_text())
    TAMPERING[tampering](record)
    record_file.write_text(json.dumps(record, indent=2, ensure_ascii=False))

    status, output = _run(script, record_file)

    assert status == 1, output
    assert output.startswith("BROKEN: ")
    assert "Traceback" not in output


def test_a_record_from_before_seals_passes_only_when_asked_and_says_so(
    script, record_file
):
    record = json.loads(record_file.read_text())
    del record["seal"]
    record_file.write_text(json.dumps(record))

    refused = _run(script, record_file)
    status, output = _run(script, record_file, "--unsealed")

    assert refused[0] == 1
    assert "carries no seal" in refused[1]
    assert status == 0, output
    assert "not sealed: only its timeline was checked" in output
