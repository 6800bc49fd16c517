"""`make bench`: the whole benchmark in one run, each figure against a baseline.

Usage (PostgreSQL and Redis up, `wrk` installed):
    .venv/bin/python bench/run.py [--duration 10] [--skip-export] [--skip-probes]

Builds the data set once in `shipshape_bench11` (later runs reuse it), serves the
app with gunicorn as in production (docker/gunicorn.conf.py, DEBUG off,
whitenoise), and drives it with wrk from its own process on 127.0.0.1. The
baseline is a minimal Django view (bench/baseline_urls.py) on the same server.
Pages are measured twice: with the fragment cache (and conditional GET) on, then
with it off so every request renders from scratch. SQL queries per request are
counted in this process with the Django test client on the same data.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report, support  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shipshape_bench11"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
RESULTS = ROOT / "bench" / "results.json"
# The API throttle (1200/min per user) would turn a load test into 429s; the
# throttle still runs on every request, with a rate no benchmark reaches.
ENV = {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DEBUG": "false",
    "HTTPS": "false",
    "SECRET_KEY": "bench-only-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "LOG_LEVEL": "WARNING",
    "LOG_FORMAT": "plain",
    "API_THROTTLE_USER": "10000000/min",
    "DJANGO_SETTINGS_MODULE": "bench.settings",
}


def configure() -> None:
    os.environ.update(ENV)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    import django

    django.setup()


def prepare() -> dict:
    """Migrate, collect static files, and build the data set unless it exists."""
    from django.core.management import call_command

    from bench import dataset

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    summary = dataset.existing()
    if summary is None:
        print("building the data set (once; later runs reuse it)…", flush=True)
        summary = dataset.build(dataset.Scale())
        # Statistics for the planner, as autovacuum would have them on a
        # database in use: measured right after the build they were missing.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        print("reusing the data set in", DATABASE_URL.rsplit("/", 1)[1])
        # A data set built before environments had the flag: its environments
        # are all production ones.
        dataset.production_flag()
    return summary


class Server:
    """gunicorn with the production configuration, bound to loopback."""

    def __init__(self, *, fragment_cache: bool) -> None:
        self.port = support.free_port()
        env = {**os.environ, **ENV, "BENCH_FRAGMENT_CACHE": str(fragment_cache)}
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for gunicorn
            prefix="bench-gunicorn-", delete=False
        )
        # max_requests recycles a worker every ~2,000 requests; at thousands of
        # requests per second that is a Django start-up every second or two,
        # which would measure start-up rather than requests. It is turned off.
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "--config",
                str(ROOT / "docker" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--max-requests",
                "0",
                "config.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait()

    def _wait(self) -> None:
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/bench/baseline/", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not start; see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _lua(method: str = "GET", bodies: list[str] | None = None) -> str:
    script = report.LUA_DONE
    if bodies:
        quoted = ", ".join(json.dumps(body) for body in bodies)
        script += f"""
local bodies = {{{quoted}}}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("{method}", nil, nil, bodies[(counter % #bodies) + 1])
end
"""
    return script


def wrk(
    url: str,
    *,
    connections: int,
    duration: int,
    headers: dict[str, str],
    method: str = "GET",
    bodies: list[str] | None = None,
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(method, bodies))
    threads = min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", script.name, url]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    os.unlink(script.name)
    return report.parse_wrk(output)


class Viewer:
    """The signed-in lead: a test client for query counts, cookies for wrk."""

    def __init__(self, username: str) -> None:
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.test import Client

        self.client = Client()
        self.client.force_login(User.objects.get(username=username))
        self.session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.cookie_names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
        self.csrf = ""
        self.bearer = f"Bearer {api_token(username)}"
        self.api_client = Client(HTTP_AUTHORIZATION=self.bearer)

    def fetch_csrf(self, path: str) -> None:
        from django.conf import settings

        page = self.client.get(path).content.decode()
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        self.csrf_cookie = self.client.cookies[settings.CSRF_COOKIE_NAME].value

    def headers(self, **extra: str) -> dict[str, str]:
        session_name, csrf_name = self.cookie_names
        cookie = f"{session_name}={self.session}"
        if self.csrf:
            cookie += f"; {csrf_name}={self.csrf_cookie}"
        return {"Cookie": cookie, **extra}

    def token_headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": self.bearer, **extra}

    def queries(
        self, path: str, *, method: str = "get", token: bool = False, **kwargs
    ) -> tuple[int, dict]:
        """SQL queries of one request (after a warm-up one) and its headers."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = self.api_client if token else self.client
        getattr(client, method)(path, **kwargs)
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, **kwargs)
        assert response.status_code < 400, (path, response.status_code)
        return len(captured), response


def api_token(username: str) -> str:
    """A Bearer token of the user, made for this run (pipelines poll with one)."""
    from django.contrib.auth.models import User

    from apps.accounts import tokens
    from apps.accounts.models import ApiToken

    user = User.objects.get(username=username)
    # One live token per run; earlier runs' tokens are revoked, not piled up.
    for token in ApiToken.objects.filter(
        user=user, name="bench", revoked_at__isnull=True
    ):
        tokens.token_revoke(token=token, by=user)
    return tokens.token_create(user=user, name="bench", expires_at=None)[1]


def lookup_path(release_id: int) -> str:
    """The readiness lookup's URL for a release, as Argo Rollouts asks it."""
    from urllib.parse import urlencode

    from apps.releases.models import Release

    release = Release.objects.select_related("service", "environment").get(
        pk=release_id
    )
    query = {
        "service": release.service.name,
        "environment": release.environment.name,
        "version": release.version,
    }
    return "/api/v1/readiness/?" + urlencode(query)


def page_scenarios(summary: dict) -> list[dict]:
    release, item = summary["release_id"], summary["tick_item_id"]
    return [
        # Floors, not goals: a signed-in request and a signed-in API request
        # that do nothing, so each page's figure can be read against them.
        {"name": "signed-in minimal view (floor)", "path": "/bench/signed-in/"},
        {"name": "signed-in minimal API view (floor)", "path": "/bench/api-floor/"},
        {
            "name": "token minimal API view (floor)",
            "path": "/bench/api-floor/",
            "token": True,
        },
        {"name": "dashboard", "path": "/", "goal_ratio": 0.20},
        {"name": "release page", "path": f"/releases/{release}/", "goal_ratio": 0.20},
        # Pipelines poll these two with a token, as deploy platforms do.
        {
            "name": "readiness API",
            "path": f"/api/v1/releases/{release}/readiness/",
            "goal_ratio": 0.40,
            "token": True,
        },
        {
            "name": "readiness lookup API",
            "path": lookup_path(release),
            "goal_ratio": 0.40,
            "token": True,
        },
        {
            "name": "release list API (50)",
            "path": "/api/v1/releases/?page_size=50",
            "goal_ratio": 0.10,
        },
        {"name": "probe results API", "path": "/api/v1/probe-results/"},
        # Never cached: every request computes the metrics afresh (cold).
        {"name": "insights page (one team)", "path": "/insights/", "goal_p99": 200},
        {
            "name": "deployment record JSON",
            "path": f"/records/releases/{release}/record.json",
        },
        {"name": "tick an item (htmx)", "path": f"/items/{item}/state/", "post": True},
    ]


def _row(name: str, measured: dict, baseline: float | None, **extra) -> dict:
    """A table row; `ratio` is against `baseline` (kept as `baseline_rps`)."""
    row = {"scenario": name, **measured, **extra}
    if baseline:
        row["ratio"] = round(measured["rps"] / baseline, 4)
        row["baseline_rps"] = round(baseline, 1)
    return row


def _goal(row: dict, *, ratio: float | None = None, p99: float | None = None) -> str:
    parts, met = [], True
    if ratio is not None:
        parts.append(f"≥ {ratio * 100:.0f} %")
        met &= row.get("ratio", 0) >= ratio
    if p99 is not None:
        parts.append(f"p99 < {p99:.0f} ms")
        met &= row["p99_ms"] < p99
    if row.get("errors"):
        met = False
    return ("met: " if met else "MISSED: ") + ", ".join(parts) if parts else ""


def http_benchmarks(
    summary: dict, duration: int, only: list[str] | None = None
) -> list[dict]:
    """Every scenario's row; with `only`, the baselines and the scenarios whose
    names contain one of its words (the second server runs only for pages)."""
    from django.test import override_settings

    viewer = Viewer(summary["viewer"])
    release_path = f"/releases/{summary['release_id']}/"
    viewer.fetch_csrf(release_path)
    rows: list[dict] = []
    scenarios = [
        scenario
        for scenario in page_scenarios(summary)
        if not only or any(word in scenario["name"] for word in only)
    ]

    server = Server(fragment_cache=True)
    try:
        warm = {"connections": 16, "duration": 1, "headers": {}}
        wrk(server.url + "/bench/baseline/", **warm)
        base = wrk(
            server.url + "/bench/baseline/",
            connections=16,
            duration=duration,
            headers={},
        )
        rows.append(_row("baseline (minimal view)", base, base["rps"], queries=0))
        for scenario in scenarios:
            path = scenario["path"]
            if scenario.get("post"):
                continue
            token = scenario.get("token", False)
            queries, response = viewer.queries(path, token=token)
            headers = viewer.token_headers() if token else viewer.headers()
            near = base["rps"]
            if "goal_ratio" in scenario or "floor" in scenario["name"]:
                # A ratio goal is read against a baseline measured just before
                # it: the machine's own speed drifts within a run (runs minutes
                # apart differed by a third), and the first baseline would
                # charge that drift to the scenario.
                near = wrk(
                    server.url + "/bench/baseline/",
                    connections=16,
                    duration=max(2, duration // 2),
                    headers={},
                )["rps"]
            wrk(server.url + path, connections=16, duration=1, headers=headers)
            measured = wrk(
                server.url + path, connections=16, duration=duration, headers=headers
            )
            label = scenario["name"]
            if scenario["name"] in ("dashboard", "release page"):
                label += ", cached fragments"
            row = _row(label, measured, near, queries=queries)
            if "goal_ratio" in scenario and "page" not in label and "dash" not in label:
                row["goal"] = _goal(row, ratio=scenario["goal_ratio"])
            rows.append(row)
            if response.headers.get("ETag"):
                # Tags include the current minute (apps/core/caching.py): start
                # the run early in a minute and take a fresh tag, so that every
                # request of the run is a 304.
                _start_of_a_minute(duration)
                client = viewer.api_client if token else viewer.client
                etag = client.get(path).headers["ETag"]
                conditional = (viewer.token_headers if token else viewer.headers)(
                    **{"If-None-Match": etag}
                )
                queries_304, answer = viewer.queries(
                    path, token=token, headers={"If-None-Match": etag}
                )
                assert answer.status_code == 304, answer.status_code
                measured = wrk(
                    server.url + path,
                    connections=16,
                    duration=duration,
                    headers=conditional,
                )
                row = _row(
                    f"{scenario['name']}, unchanged (304)",
                    measured,
                    near,
                    queries=queries_304,
                )
                row["goal"] = _goal(row, ratio=scenario["goal_ratio"])
                rows.append(row)
        tick = next((s for s in scenarios if s.get("post")), None)
        if tick is not None:
            rows.append(_tick_row(server, viewer, tick, base, duration))
    finally:
        server.stop()

    pages = [
        s
        for s in scenarios
        if s["name"] in ("dashboard", "release page") or "goal_p99" in s
    ]
    if not pages:
        return rows
    server = Server(fragment_cache=False)
    try:
        wrk(server.url + "/bench/baseline/", connections=16, duration=1, headers={})
        base = wrk(
            server.url + "/bench/baseline/",
            connections=16,
            duration=duration,
            headers={},
        )
        rows.append(_row("baseline, second server", base, base["rps"], queries=0))
        # From scratch: one viewer at a time (the p99 goal) and 16 at once. The
        # Insights page's goal is a cold page too (it caches nothing), read the
        # same way: one viewer at a time.
        with override_settings(FRAGMENT_CACHE_SECONDS=0):
            for scenario in pages:
                path = scenario["path"]
                queries, _ = viewer.queries(path)
                headers = viewer.headers()
                wrk(server.url + path, connections=1, duration=1, headers=headers)
                for connections in (1, 16):
                    measured = wrk(
                        server.url + path,
                        connections=connections,
                        duration=duration,
                        headers=headers,
                    )
                    row = _row(
                        f"{scenario['name']}, from scratch, {connections} conn.",
                        measured,
                        base["rps"],
                        queries=queries,
                    )
                    if connections == 1:
                        row["goal"] = _goal(row, p99=scenario.get("goal_p99", 100))
                    rows.append(row)
    finally:
        server.stop()
    return rows


def _tick_row(server, viewer, tick: dict, base: dict, duration: int) -> dict:
    """The tick row: 8 connections ticking and unticking one item."""
    bodies = ["state=done", "state=open"]
    tick_headers = viewer.headers(
        **{
            "X-CSRFToken": viewer.csrf,
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        }
    )
    queries, _ = viewer.queries(
        tick["path"],
        method="post",
        data={"state": "done"},
        headers={"HX-Request": "true"},
    )
    options = {"headers": tick_headers, "method": "POST", "bodies": bodies}
    # Warmed up for a second, as every other row is: without it the row counted
    # each worker's first ticks (its connections, its first carried-forward
    # inputs), queued behind one another on the release's lock.
    wrk(server.url + tick["path"], connections=8, duration=1, **options)
    measured = wrk(
        server.url + tick["path"],
        connections=8,
        duration=duration,
        **options,
    )
    row = _row(tick["name"] + ", 8 conn.", measured, base["rps"], queries=queries)
    row["goal"] = _goal(row, p99=50)
    return row


def _start_of_a_minute(duration: int) -> None:
    """Wait for the next minute when fewer than duration + 5 s are left in this one."""
    left = 60 - time.time() % 60
    if left < duration + 5:
        time.sleep(left + 0.5)


def query_scaling(summary: dict) -> dict:
    """Queries per page on a release with the full data and on a bare one."""
    from apps.releases.models import Release

    viewer = Viewer(summary["viewer"])
    from django.test import override_settings

    bare = (
        Release.objects.filter(
            team__memberships__user__username=summary["viewer"], probe_runs=None
        )
        .order_by("-created_at")
        .first()
    )
    counts = {}
    with override_settings(FRAGMENT_CACHE_SECONDS=0):
        for label, pk in (("full", summary["release_id"]), ("no probes", bare.pk)):
            counts[label], _ = viewer.queries(f"/releases/{pk}/")
    return counts


def export_benchmark(summary: dict) -> dict:
    """100,000 audit events as CSV through the request stack, in a fresh process."""
    output = subprocess.run(
        [sys.executable, __file__, "--measure-export"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **ENV},
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure_export() -> dict:
    from django.contrib.auth.models import User
    from django.test import Client

    from apps.audit.models import AuditEvent

    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    # The data set's own events (bench/dataset.py: no actor, a TEST-NET
    # address, 46 days ending two weeks before it was built), so the export
    # holds the same rows however many events the runs since have appended.
    own = AuditEvent.objects.filter(actor_id__isnull=True, ip="192.0.2.10")
    events = own.order_by("-seq")
    times = events.values_list("created_at", flat=True)
    since, until = times[99_999], times[0]
    client = Client()
    client.force_login(admin)
    before = support.peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(
        "/records/audit-events/",
        {
            "download": "1",
            "format": "csv",
            "since": since.date().isoformat(),
            "until": until.date().isoformat(),
        },
    )
    assert response.status_code == 200, response.status_code
    lines = size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    return {
        "rows": lines - 1,
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "megabytes": round(size / 1e6, 1),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(support.peak_rss_mb(), 1),
    }


def _bench_script(name: str, *args: str) -> str:
    """The output of another benchmark script, against this run's database and Redis."""
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": DATABASE_URL,
        "BENCH_REDIS_URL": REDIS_URL,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=600,
    ).stdout


def celery_benchmark() -> dict:
    """bench/celery_overhead.py: an empty probe's task against a no-op task."""
    output = _bench_script("celery_overhead.py", "--json")
    return json.loads(output.strip().splitlines()[-1])


def probe_benchmark() -> dict:
    """bench/probe_fanout.py, unchanged, against this run's database and Redis."""
    output = _bench_script("probe_fanout.py")
    best = re.search(r"best ([0-9.]+) s", output)
    queries = re.search(r"in-process\): (\d+)", output)
    return {
        "targets": 200,
        "seconds": float(best.group(1)) if best else None,
        "queries": int(queries.group(1)) if queries else None,
        "output": output.strip().splitlines(),
    }


def machine() -> dict:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in load],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    found = re.search(r"model name\s*:\s*(.+)", text)
    return found.group(1).strip() if found else platform.processor()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-probes", action="store_true")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="WORD",
        help="only the scenarios whose names contain a word (e.g. readiness floor);"
        " implies --skip-export --skip-probes",
    )
    parser.add_argument("--measure-export", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # A terminated run still stops its gunicorn (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.measure_export:
        configure()
        print(json.dumps(measure_export()))
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (make bench does it)")
    support.ensure_database(DATABASE_URL)
    configure()
    info = machine()
    summary = prepare()
    summary["tick_item_id"] = _tick_item(summary)
    print(
        f"release {summary['release_id']}: {summary['items']} items, "
        f"{summary['signoffs']} sign-offs, {summary['probe_results']} probe results; "
        f"{summary['releases']:,} releases, {summary['audit_events']:,} audit events",
        flush=True,
    )
    rows = http_benchmarks(summary, args.duration, args.only)
    if args.only:
        # A partial run: the table only; bench/results.json keeps the full run.
        print(report.table(rows), flush=True)
        return
    print(report.table(rows), flush=True)
    results = {
        "machine": info,
        "dataset": summary,
        "duration_seconds": args.duration,
        "http": rows,
        "queries_per_release_page": query_scaling(summary),
    }
    if not args.skip_export:
        export = export_benchmark(summary)
        export["goal"] = _goal_export(export)
        results["audit_export"] = export
        print(f"audit export (CSV): {export}", flush=True)
    if not args.skip_probes:
        probes = probe_benchmark()
        met = probes["seconds"] is not None and probes["seconds"] < 1.0
        probes["goal"] = ("met" if met else "MISSED") + ": < 1.0 s"
        results["probe_run"] = probes
        print(f"200-target probe run: {probes['seconds']} s ({probes['goal']})")
        celery = celery_benchmark()
        results["celery_task_overhead"] = celery
        print(
            "Celery task of an empty probe: "
            f"{celery['empty_probe']['ms_per_task']} ms of worker time, "
            f"{celery['ratio']}x a no-op task "
            f"({celery['noop']['ms_per_task']} ms)"
        )
    print(
        "queries per release page (full / no probes):",
        results["queries_per_release_page"],
    )
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")


def _goal_export(export: dict) -> str:
    met = export["seconds"] < 5 and export["rss_peak_mb"] < 150
    return ("met" if met else "MISSED") + ": < 5 s and < 150 MB"


def _tick_item(summary: dict) -> int:
    """An item of another in-progress release, so ticking leaves the page cached."""
    from apps.releases.models import ReleaseItem

    item = (
        ReleaseItem.objects.filter(
            release__team__memberships__user__username=summary["viewer"],
            release__status="in_progress",
            phase="pre_deployment",
            kind="check",
        )
        .exclude(release_id=summary["release_id"])
        .order_by("-release__created_at", "position")
        .first()
    )
    return item.pk


if __name__ == "__main__":
    main()
