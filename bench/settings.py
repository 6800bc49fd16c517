"""Production settings plus the benchmark's baseline URL; only `make bench` uses it."""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline_urls"
# The harness serves once with the fragment cache and once without it.
if os.environ.get("BENCH_FRAGMENT_CACHE", "True") != "True":
    FRAGMENT_CACHE_SECONDS = 0
