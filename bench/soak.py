"""Soak: a steady mixed load on 127.0.0.1 for 10 minutes; errors, p95 and memory.

Usage (PostgreSQL up on 127.0.0.1:5432; redis-server installed):
    .venv/bin/python bench/soak.py                  # 600 s at 20 requests/s
    .venv/bin/python bench/soak.py --seconds 60 --rate 10

It starts its own processes and stops them at the end: a private redis-server on
a free port, gunicorn (2 sync workers, no max-requests recycling, so a leak would
show), a Celery worker (2 processes) and a loopback HTTP target for the probes;
the database is `shipshape_soak` (created if missing). One lead signs in and,
at a fixed rate, mixes pages (dashboard, release page, probe panel), checklist
ticks (htmx POST), API reads (releases, readiness) and probe runs (one every
`--run-every` seconds, each of 10 HTTP probes). Every request has a 10 s client
timeout and the loop ends at the deadline: nothing runs unbounded.

Prints the request count, error rate (any 5xx, transport error or unexpected
status), p50/p95/p99 latency, probe runs started and finished, and the resident
memory (VmRSS summed over each process tree) of web and worker after a warm-up
and at the end. `--json PATH` also writes those figures.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import support  # noqa: E402

DATABASE_URL = os.environ.get(
    "SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shipshape_soak"
)
PASSWORD = "soak-lead-password"  # noqa: S105 - a throwaway user in a throwaway database
WARMUP_SECONDS = 20


def tree_rss_kib(pid: int) -> int:
    """VmRSS of a process and all its descendants, in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            children = Path(f"/proc/{current}/task/{current}/children").read_text()
        except (OSError, AttributeError):
            continue
        todo.extend(int(child) for child in children.split())
    return total


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": *"([^"]+)"', html
    )
    if found is None:
        raise SystemExit(f"no CSRF token on the page: {html[:300]!r}")
    return found.group(1)


def wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def prepare(env: dict[str, str], target: str) -> dict:
    """Migrate and create a team, a lead, a release and 10 probes (in-process)."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from apps.accounts.models import Membership, Team
    from apps.catalog.models import Environment, Service
    from apps.checklists import services as checklists
    from apps.probes.models import ProbeConfig
    from apps.releases import services as releases

    call_command("migrate", verbosity=0)
    template = checklists.template_ensure_default()
    stamp = str(time.time_ns())
    team = Team.objects.create(name=f"soak {stamp}", slug=f"soak-{stamp}")
    lead = User.objects.create_user(username=f"soak-{stamp}", password=PASSWORD)
    Membership.objects.create(team=team, user=lead, role="lead")
    service = Service.objects.create(team=team, name="soak", slug=f"soak-{stamp}")
    environment = Environment.objects.create(service=service, name="soak")
    ProbeConfig.objects.bulk_create(
        ProbeConfig(
            environment=environment,
            name=f"p{n:02}",
            kind="http",
            target=target,
            timeout=5,
        )
        for n in range(10)
    )
    release = releases.release_create(
        service=service,
        environment=environment,
        template=template,
        version="soak-1",
        by=lead,
    )
    items = list(release.items.values_list("pk", flat=True)[:40])
    return {"username": lead.username, "release": release.pk, "items": items}


class Load:
    """A fixed-rate mix of requests from a few threads, until a deadline."""

    def __init__(self, base: str, setup: dict, rate: float, run_every: float) -> None:
        self.base, self.setup = base, setup
        self.rate, self.run_every = rate, run_every
        self.lock = threading.Lock()
        self.latencies: list[tuple[float, float]] = []  # (time, seconds)
        self.errors: list[str] = []
        self.runs_started: list[int] = []
        self.next_run = 0.0

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=10, follow_redirects=False)
        page = client.get("/accounts/login/")
        answer = client.post(
            "/accounts/login/",
            data={
                "username": self.setup["username"],
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf_token(page.text),
            },
        )
        if answer.status_code != 302:
            raise SystemExit(f"sign-in failed: {page.status_code} {answer.status_code}")
        page = client.get(f"/releases/{self.setup['release']}/")
        client.headers["X-CSRFToken"] = csrf_token(page.text)
        return client

    def one(self, client: httpx.Client, now: float) -> None:
        release = self.setup["release"]
        csrf: dict[str, str] = {}
        with self.lock:
            start_run = now >= self.next_run
            if start_run:
                self.next_run = now + self.run_every
        roll = random.random()  # noqa: S311 - load mix, not security
        if start_run:
            method, url, kwargs, expect = (
                "POST",
                f"/releases/{release}/probes/run/",
                {"headers": {**csrf, "HX-Request": "true"}},
                (200, 202, 302),
            )
        elif roll < 0.45:
            url = random.choice(  # noqa: S311
                ["/", f"/releases/{release}/", f"/releases/{release}/probes/"]
            )
            hx = {"HX-Request": "true"} if url.endswith("/probes/") else {}
            method, kwargs, expect = "GET", {"headers": hx}, (200,)
        elif roll < 0.75:
            url = random.choice(  # noqa: S311
                ["/api/v1/releases/", f"/api/v1/releases/{release}/readiness/"]
            )
            method, kwargs, expect = "GET", {}, (200,)
        else:
            item = random.choice(self.setup["items"])  # noqa: S311
            state = random.choice(["done", ""])  # noqa: S311
            method, url, expect = "POST", f"/items/{item}/state/", (200,)
            kwargs = {
                "data": {"state": state, "note": ""},
                "headers": {**csrf, "HX-Request": "true"},
            }
        started = time.perf_counter()
        try:
            answer = client.request(method, url, **kwargs)
            ok = answer.status_code in expect
            why = f"{method} {url} -> {answer.status_code}"
        except httpx.HTTPError as error:
            ok, why = False, f"{method} {url} -> {type(error).__name__}"
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.append((now, elapsed))
            if not ok:
                self.errors.append(why)
            elif start_run:
                self.runs_started.append(1)

    def run(self, seconds: float, threads: int = 4) -> None:
        begin = time.monotonic()
        deadline = begin + seconds
        interval = threads / self.rate

        def loop(offset: float) -> None:
            try:
                client = self.client()
            except (SystemExit, httpx.HTTPError) as error:
                with self.lock:
                    self.errors.append(f"sign-in: {error}")
                return
            tick = begin + offset
            while True:  # bounded: ends at the deadline
                now = time.monotonic()
                if now >= deadline:
                    break
                if tick > now:
                    time.sleep(tick - now)
                self.one(client, time.monotonic() - begin)
                tick += interval
            client.close()

        workers = [
            threading.Thread(target=loop, args=(n * interval / threads,))
            for n in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=seconds + 60)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=20, help="requests per second")
    parser.add_argument("--run-every", type=float, default=15, help="seconds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    redis_binary = shutil.which("redis-server")
    if redis_binary is None:
        raise SystemExit("redis-server is not installed")
    support.ensure_database(DATABASE_URL)
    redis_port, web_port = support.free_port(), support.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "DEBUG": "true",  # DEBUG=false needs collectstatic (manifest storage)
        "SECRET_KEY": "soak-only-not-a-secret-" + "x" * 40,
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PROBE_ALLOWED_NETWORKS": "127.0.0.0/8",
        "API_THROTTLE_USER": "100000/min",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    processes: list[subprocess.Popen] = []

    logs = ROOT / "test-artifacts"
    logs.mkdir(exist_ok=True)

    def spawn(command: list[str], log: str = "") -> subprocess.Popen:
        """Start a process; its output goes to test-artifacts/soak-LOG.log."""
        output = open(logs / f"soak-{log}.log", "w") if log else subprocess.DEVNULL  # noqa: SIM115
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        return process

    try:
        spawn(
            [redis_binary, "--bind", "127.0.0.1", "--port", str(redis_port),
             "--save", "", "--appendonly", "no"]
        )  # fmt: skip
        target_port = support.free_port()
        spawn([sys.executable, str(ROOT / "bench" / "slow_server.py"),
               str(target_port), "0.05"])  # fmt: skip
        setup = prepare(env, f"http://127.0.0.1:{target_port}/")
        web = spawn(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class",
             "sync", "--bind", f"127.0.0.1:{web_port}", "--timeout", "30",
             "config.wsgi"],
            "web",
        )  # fmt: skip
        worker = spawn(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q",
             "celery,probes", "--concurrency", "2", "--loglevel", "WARNING",
             "--without-gossip", "--without-mingle"],
            "worker",
        )  # fmt: skip
        base = f"http://127.0.0.1:{web_port}"
        wait_http(base + "/health/", 30)
        load = Load(base, setup, args.rate, args.run_every)
        warm = min(WARMUP_SECONDS, args.seconds / 4)
        holder: dict = {}

        def sample_start() -> None:
            time.sleep(warm)
            holder["web"] = tree_rss_kib(web.pid)
            holder["worker"] = tree_rss_kib(worker.pid)

        sampler = threading.Thread(target=sample_start)
        sampler.start()
        started = time.monotonic()
        load.run(args.seconds)
        took = time.monotonic() - started
        sampler.join()
        end_web, end_worker = tree_rss_kib(web.pid), tree_rss_kib(worker.pid)
        time.sleep(10)  # let the last runs finish
        from apps.probes.models import ProbeRun

        runs = ProbeRun.objects.filter(release_id=setup["release"])
        finished = runs.filter(finished_at__isnull=False).count()
        seconds = [elapsed for _, elapsed in load.latencies]
        steady = [elapsed for at, elapsed in load.latencies if at >= warm]
        figures = {
            "seconds": round(took, 1),
            "requests": len(seconds),
            "rate_per_s": round(len(seconds) / took, 1),
            "errors": len(load.errors),
            "error_rate": round(len(load.errors) / max(1, len(seconds)), 5),
            "error_examples": sorted(set(load.errors))[:5],
            "p50_ms": round(statistics.median(steady or [0]) * 1000, 1),
            "p95_ms": round(percentile(steady, 0.95) * 1000, 1),
            "p99_ms": round(percentile(steady, 0.99) * 1000, 1),
            "probe_runs_started": runs.count(),
            "probe_runs_finished": finished,
            "web_rss_mib": [round(holder["web"] / 1024, 1), round(end_web / 1024, 1)],
            "worker_rss_mib": [
                round(holder["worker"] / 1024, 1),
                round(end_worker / 1024, 1),
            ],
        }
        print(json.dumps(figures, indent=2))
        if args.json:
            args.json.parent.mkdir(exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
