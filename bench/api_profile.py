"""Where a polled API answer spends its time, in process: the readiness API, the
readiness lookup and the API floor, each called with a Bearer token.

Usage (after `make bench` built the data set; use your own copy of it):
    BENCH_DATABASE_URL=postgres://…/shipshape_bench_me BENCH_REDIS_URL=redis://…/4 \\
        .venv/bin/python bench/api_profile.py [--requests 2000] [--profile readiness]

Every request goes through Django's whole handler (the test client's WSGI
handler, the production middleware) against the benchmark's data. It prints
the wall and CPU time per request (median of rounds of 200) for each answer,
and with --profile the cProfile of one of them, sorted by cumulative time.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402

ROUND = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", choices=["readiness", "lookup", "floor"])
    parser.add_argument("--lines", type=int, default=45)
    args = parser.parse_args()
    run.configure()
    from django.test import Client

    from bench import dataset

    summary = dataset.existing()
    secret = run.api_token(summary["viewer"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    paths = {
        "baseline": "/bench/baseline/",
        "floor": "/bench/api-floor/",
        "readiness": f"/api/v1/releases/{summary['release_id']}/readiness/",
        "lookup": run.lookup_path(summary["release_id"]),
    }
    for path in paths.values():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    if args.profile:
        path = paths[args.profile]
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            client.get(path)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.lines)
        stats.sort_stats("tottime").print_stats(args.lines)
        return
    rounds = max(1, args.requests // ROUND)
    for name, path in paths.items():
        walls, cpus = [], []
        for _ in range(rounds):
            started, cpu = time.perf_counter(), time.process_time()
            for _ in range(ROUND):
                client.get(path)
            walls.append((time.perf_counter() - started) / ROUND * 1000)
            cpus.append((time.process_time() - cpu) / ROUND * 1000)
        print(
            f"{name:10} wall {statistics.median(walls):6.3f} ms"
            f"  cpu {statistics.median(cpus):6.3f} ms  ({path})",
            flush=True,
        )
    print("load average:", " ".join(f"{value:.2f}" for value in os.getloadavg()))


if __name__ == "__main__":
    main()
