"""The item tick in process: CPU and wall time a tick, through the WSGI handler
as gunicorn calls it (middleware, session, CSRF, the view, the commit's
callbacks), on `make bench`'s data set, with no HTTP server and no load.

    .venv/bin/python bench/tick_cpu.py [--ticks 300] [--profile]

Compare two trees by running it in each (git worktrees), alternately: the
machine's speed drifts by a third within minutes. `--profile` prints where the
CPU goes (cProfile, timed by process time; it inflates code that makes many
small calls, such as template rendering, relative to code that waits).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    run.configure()
    summary = run.prepare()
    item = run._tick_item(summary)
    viewer = run.Viewer(summary["viewer"])
    viewer.fetch_csrf(f"/releases/{summary['release_id']}/")

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    cookie = viewer.headers()["Cookie"]

    def tick(number: int) -> None:
        body = b"state=done" if number % 2 == 0 else b"state=open"
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": f"/items/{item}/state/",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_COOKIE": cookie,
            "HTTP_X_CSRFTOKEN": viewer.csrf,
            "HTTP_HX_REQUEST": "true",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        statuses = []
        b"".join(application(environ, lambda status, *_: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise SystemExit(f"the tick answered {statuses[0]}")

    for number in range(30):
        tick(number)
    wall, cpu = time.perf_counter(), time.process_time()
    for number in range(args.ticks):
        tick(number)
    wall = (time.perf_counter() - wall) * 1000 / args.ticks
    cpu = (time.process_time() - cpu) * 1000 / args.ticks
    print(f"a tick in process: {cpu:.2f} ms of CPU, {wall:.2f} ms of wall time")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for number in range(args.ticks):
            tick(number)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
