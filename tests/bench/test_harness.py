"""The benchmark harness's pieces on a tiny data set: no server, no load."""

import pytest

from apps.audit import chain
from apps.audit.models import AuditEvent
from apps.releases.models import Release
from bench import dataset, report

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:8000/
WRKJSON {"requests": 1500, "seconds": 2.000, "errors": 3, "p50_us": 4200, \
"p95_us": 9100, "p99_us": 15250}
"""


@pytest.fixture
def tiny(db):
    return dataset.build(dataset.Scale.tiny(), log=lambda text: None)


def test_tiny_data_set_has_the_shape_the_scenarios_need(tiny):
    assert tiny["releases"] == 6
    assert tiny["items"] >= 100
    assert tiny["signoffs"] == 6
    assert tiny["probe_results"] == 5
    assert Release.objects.filter(pk=tiny["release_id"]).exists()
    assert dataset.existing()["release_id"] == tiny["release_id"]


def test_the_data_sets_audit_events_form_a_valid_chain(tiny):
    events = AuditEvent.objects.order_by("seq").values()
    report_ = chain.verify(events)
    assert report_.ok, report_.problem
    assert report_.checked == AuditEvent.objects.count() >= 50


def test_an_empty_database_has_no_data_set(db):
    assert dataset.existing() is None


def test_wrk_summary_becomes_requests_per_second_and_milliseconds():
    parsed = report.parse_wrk(WRK_OUTPUT)
    assert parsed == {
        "rps": 750.0,
        "p50_ms": 4.2,
        "p95_ms": 9.1,
        "p99_ms": 15.2,
        "errors": 3,
        "requests": 1500,
    }


def test_table_shows_ratio_to_baseline_and_missing_values_as_dashes():
    rows = [
        {"scenario": "baseline", "rps": 4000.0, "p99_ms": 8.0, "ratio": 1.0},
        {
            "scenario": "release page",
            "rps": 950.7,
            "ratio": 0.2376,
            "baseline_rps": 4001.2,
            "queries": 4,
        },
    ]
    text = report.table(rows)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["scenario", "req/s"]
    assert "4,000" in lines[2] and "100.0 %" in lines[2]
    assert "951" in lines[3] and "23.8 %" in lines[3]
    # The baseline the ratio was read against, measured just before the row.
    assert "4,001" in lines[3] and "4,001" not in lines[2]
    assert "–" in lines[3]
    assert report.markdown(rows).count("\n") == 3


def test_the_insights_row_reads_the_tiny_data_sets_production_deploys(tiny, client):
    from django.contrib.auth.models import User

    from bench import run

    summary = {**tiny, "tick_item_id": 0}
    scenario = next(s for s in run.page_scenarios(summary) if s.get("goal_p99"))
    client.force_login(User.objects.get(username=tiny["viewer"]))

    response = client.get(scenario["path"])

    assert scenario == {
        "name": "insights page (one team)",
        "path": "/insights/",
        "goal_p99": 200,
    }
    assert response.status_code == 200
    # Six releases, the two newest still in progress (probed_releases=2).
    assert "4 deploys in" in response.content.decode()


def test_a_measured_process_reports_its_own_peak_memory_not_its_parents():
    """The audit export is measured in a process the harness starts; Linux's
    ru_maxrss would report the harness's own (larger) peak there."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    child = "from bench import support; print(support.peak_rss_mb())"
    parent = (
        "import subprocess, sys\n"
        "ballast = bytearray(160 * 1024 * 1024)\n"
        "for i in range(0, len(ballast), 4096): ballast[i] = 1\n"
        f"print(subprocess.run([sys.executable, '-c', {child!r}], cwd={str(root)!r},"
        " capture_output=True, text=True, check=True).stdout)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, check=True
    ).stdout

    assert float(output) < 100  # the child's few MB, not the parent's 160+
