"""The Insights row of `make bench` alone: the page for the bench viewer's team
on bench/run.py's data set (2,000 releases), cold (the page caches nothing),
and its query count against the same page with 500 more releases.

Run it from a checkout (`.venv/bin/python bench/insights.py`); it uses
bench/run.py's data set, server and wrk, so its figures are those of
`make bench`'s insights row.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import run  # noqa: E402


def main() -> None:
    run.support.ensure_database(run.DATABASE_URL)
    run.configure()
    summary = run.prepare()
    viewer = run.Viewer(summary["viewer"])
    summary["tick_item_id"] = 0  # the tick's row is not run here
    scenario = next(s for s in run.page_scenarios(summary) if s.get("goal_p99"))
    queries, response = viewer.queries(scenario["path"])
    assert response.status_code == 200, response.status_code
    server = run.Server(fragment_cache=True)
    try:
        baseline = server.url + "/bench/baseline/"
        run.wrk(baseline, connections=16, duration=1, headers={})
        base = run.wrk(baseline, connections=16, duration=8, headers={})
        url = server.url + scenario["path"]
        headers = viewer.headers()
        for connections in (1, 16):
            run.wrk(url, connections=connections, duration=1, headers=headers)
            measured = run.wrk(
                url, connections=connections, duration=8, headers=headers
            )
            name = f"{scenario['name']}, {connections} conn."
            row = run._row(name, measured, base["rps"], queries=queries)
            if connections == 1:  # the goal: one viewer at a time, as for pages
                row["goal"] = run._goal(row, p99=scenario["goal_p99"])
            print(row, flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
