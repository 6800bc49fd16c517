"""The tick scenario of `make bench` alone, at 8 and at 1 connection.

Run it from a checkout (`.venv/bin/python bench/tick.py`) to compare two trees
on the same data set; it uses bench/run.py's data set, server and wrk, so its
figures are those of `make bench`'s tick row (and a one-connection row).
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import run  # noqa: E402


@contextmanager
def served(baseline_seconds: int) -> Iterator[tuple[str, dict, dict]]:
    """The bench server, with the tick's URL, its wrk options (the viewer's
    session and CSRF token, done and open in turn) and the baseline measured
    for `baseline_seconds` after a second's warm-up."""
    run.configure()
    summary = run.prepare()
    summary["tick_item_id"] = run._tick_item(summary)
    viewer = run.Viewer(summary["viewer"])
    viewer.fetch_csrf(f"/releases/{summary['release_id']}/")
    tick = next(s for s in run.page_scenarios(summary) if s.get("post"))
    server = run.Server(fragment_cache=True)
    try:
        baseline = server.url + "/bench/baseline/"
        run.wrk(baseline, connections=16, duration=1, headers={})
        base = run.wrk(baseline, connections=16, duration=baseline_seconds, headers={})
        headers = viewer.headers(
            **{
                "X-CSRFToken": viewer.csrf,
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            }
        )
        options = {
            "headers": headers,
            "method": "POST",
            "bodies": ["state=done", "state=open"],
        }
        yield server.url + tick["path"], options, base
    finally:
        server.stop()


def main() -> None:
    with served(baseline_seconds=8) as (url, options, base):
        for connections in (8, 1):
            run.wrk(url, connections=connections, duration=1, **options)
            measured = run.wrk(url, connections=connections, duration=8, **options)
            row = run._row(f"tick, {connections} conn.", measured, base["rps"])
            print(row, flush=True)


if __name__ == "__main__":
    main()
