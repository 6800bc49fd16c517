"""A loopback HTTP receiver for Shipshape's outbound webhooks that answers each
POST with the next scripted status code (or hangs), and records what it got.

Not a stand-in for any platform: a plain endpoint, as a customer's would be.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Answers POSTs with the next scripted status; 'hang' never answers."""

    def __init__(self) -> None:
        self.script: list[int | str] = []
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                answer = receiver.script.pop(0) if receiver.script else 200
                if answer == "hang":
                    time.sleep(2)
                    return
                self.send_response(int(answer))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/shipshape"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self, *script: int | str) -> None:
        self.script = list(script)
        self.requests = []
