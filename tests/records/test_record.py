"""The deployment record: page, JSON and CSV carry the same facts, and are audited."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from apps.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def _json(client, release) -> dict:
    response = client.get(reverse("records:record-json", args=[release.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return json.loads(response.content)


def _csv_rows(client, release) -> list[dict]:
    response = client.get(reverse("records:record-csv", args=[release.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_record_page_shows_everything_an_auditor_files(
    client, auditor, deployed_release, django_assert_max_num_queries
):
    client.force_login(auditor)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("records:record", args=[deployed_release.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    last = AuditEvent.objects.filter(release_id=deployed_release.pk).latest("seq")
    for text in (
        "Deployment record",
        "1.0.0",
        "Deployed in the 14:00 window",
        "Runbook missing the rollback step",
        "superseded",
        "200 OK in 12 ms",
        "release.transitioned",
        f"#{last.seq}",
        last.hash,
        "css/records.css",
    ):
        assert text in page, text


def test_json_download_carries_facts_and_hashes(
    client, auditor, deployed_release, lead
):
    client.force_login(auditor)
    record = _json(client, deployed_release)
    assert record["format"] == "shipshape.deployment-record/1"
    assert record["release"]["version"] == "1.0.0"
    assert record["release"]["status"] == "deployed"
    assert record["release"]["deployed_by"] == lead.username
    assert record["release"]["deployment_notes"] == "Deployed in the 14:00 window"
    assert record["release"]["override"] is None
    first = record["checklist"][0]
    assert (first["state"], first["note"]) == ("na", '=HYPERLINK("http://x")')
    assert {r["decision"] for r in record["signoff_roles"]} == {"approve"}
    rejection = record["signoffs"][0]
    assert (rejection["decision"], rejection["current"]) == ("reject", False)
    probe = record["probe_evidence"][0]
    assert (probe["status"], probe["summary"]) == ("pass", "200 OK in 12 ms")
    assert probe["observed"] == {"status_code": 200, "elapsed_ms": 12}
    last = AuditEvent.objects.filter(release_id=deployed_release.pk).latest("seq")
    assert record["audit_head"] == {"seq": last.seq, "hash": last.hash}
    assert record["timeline"][-1]["hash"] == last.hash
    assert record["timeline"][-1]["action"] == "release.transitioned"


def test_csv_parses_back_to_the_same_facts_as_json(client, auditor, deployed_release):
    client.force_login(auditor)
    record = _json(client, deployed_release)
    rows = _csv_rows(client, deployed_release)

    def value(section: str, field: str, index: str = "") -> str:
        (row,) = [
            r
            for r in rows
            if (r["section"], r["index"], r["field"]) == (section, index, field)
        ]
        return row["value"]

    assert value("release", "version") == "1.0.0"
    assert value("release", "deployed_at") == record["release"]["deployed_at"]
    assert value("audit_head", "hash") == record["audit_head"]["hash"]
    assert value("checklist", "state", "1") == record["checklist"][1]["state"]
    assert value("signoffs", "comment", "0") == "Runbook missing the rollback step"
    assert json.loads(value("probe_evidence", "observed", "0")) == {
        "status_code": 200,
        "elapsed_ms": 12,
    }
    timeline = [r for r in rows if r["section"] == "timeline"]
    assert len({r["index"] for r in timeline}) == len(record["timeline"])


def test_csv_cells_that_start_a_formula_are_neutralised(
    client, auditor, deployed_release
):
    client.force_login(auditor)
    rows = _csv_rows(client, deployed_release)
    note = [r for r in rows if r["section"] == "checklist" and r["field"] == "note"]
    assert note[0]["value"] == '\'=HYPERLINK("http://x")'
    assert not any(
        r["value"].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows
    )


def test_every_download_is_an_audit_event(client, auditor, deployed_release):
    client.force_login(auditor)
    before = AuditEvent.objects.filter(release_id=deployed_release.pk).count()
    client.get(reverse("records:record", args=[deployed_release.pk]))
    _json(client, deployed_release)
    _csv_rows(client, deployed_release)
    exports = AuditEvent.objects.filter(action="deployment_record.exported")
    assert [e.after["format"] for e in exports.order_by("seq")] == [
        "html",
        "json",
        "csv",
    ]
    assert {e.actor_id for e in exports} == {auditor.pk}
    assert {e.target_id for e in exports} == {str(deployed_release.pk)}
    # Taking a copy does not move the record's own last covering event.
    assert AuditEvent.objects.filter(release_id=deployed_release.pk).count() == before


def test_any_team_member_may_read_the_record(client, engineer, deployed_release):
    client.force_login(engineer)
    response = client.get(reverse("records:record", args=[deployed_release.pk]))
    assert response.status_code == 200


def test_another_teams_record_is_not_found(client, outsider, deployed_release):
    client.force_login(outsider)
    for name in ("records:record", "records:record-json", "records:record-csv"):
        response = client.get(reverse(name, args=[deployed_release.pk]))
        assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="deployment_record.exported").exists()


def test_the_standalone_script_verifies_the_json_download(
    client, auditor, deployed_release, tmp_path
):
    client.force_login(auditor)
    record = _json(client, deployed_release)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    script = [sys.executable, str(ROOT / "scripts" / "verify_chain.py"), str(path)]
    result = subprocess.run(script, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"OK: {len(record['timeline'])} events" in result.stdout

    record["timeline"][2]["after"] = {"state": "done", "note": "edited later"}
    path.write_text(json.dumps(record))
    result = subprocess.run(script, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    seq = record["timeline"][2]["seq"]
    assert f"BROKEN: event #{seq}: content does not match its hash" in result.stderr


def test_every_fact_of_the_json_download_is_in_the_csv(
    client, auditor, deployed_release
):
    from apps.records.exports import LIST_SECTIONS, cell

    client.force_login(auditor)
    record = _json(client, deployed_release)
    rows = _csv_rows(client, deployed_release)
    from_csv = {(r["section"], r["index"], r["field"]): r["value"] for r in rows}
    expected = {("record", "", "format"): record["format"]}
    for section in ("release", "audit_head"):
        for field, value in record[section].items():
            expected[(section, "", field)] = cell(value)
    for section in LIST_SECTIONS:
        for index, entry in enumerate(record[section]):
            for field, value in entry.items():
                expected[(section, str(index), field)] = cell(value)
    assert {key: from_csv.get(key) for key in expected} == expected
    assert len(from_csv) == len(expected) + 2  # generated_at and generated_by


def test_each_copy_is_sealed_by_its_own_export_event(client, auditor, deployed_release):
    client.force_login(auditor)
    page = client.get(reverse("records:record", args=[deployed_release.pk]))
    record = _json(client, deployed_release)

    exports = AuditEvent.objects.filter(action="deployment_record.exported")
    page_event, json_event = exports.order_by("seq")
    assert f"sealed by audit event <strong>#{page_event.seq}</strong>" in (
        page.content.decode()
    )
    assert record["seal"]["event"]["seq"] == json_event.seq
    assert record["seal"]["event"]["hash"] == json_event.hash
    assert json_event.after["events"] == len(record["timeline"])
    assert set(json_event.after["sections"]) == set(record) - {"seal"}
