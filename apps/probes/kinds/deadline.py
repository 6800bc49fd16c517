"""Overall deadlines for probes, and a watchdog that cuts sockets off when one passes.

Per-operation timeouts are not enough: a server that sends one byte every half
second satisfies every read timeout forever. So every probe carries a Deadline,
each blocking call is given at most the time that remains, and every socket a
probe opens is registered with a SocketGuard. One watchdog thread per process
shuts down the guarded sockets when their deadline passes, which wakes any
thread blocked in connect, a TLS handshake or a read.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from types import TracebackType

from apps.probes.kinds.result import DeadlineExceeded


class Deadline:
    """A point in time a probe must finish by, measured on the monotonic clock."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left, possibly zero or negative; never raises."""
        return self.expires_at - time.monotonic()

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.left() <= 0

    def remaining(self, cap: float | None = None) -> float:
        """Seconds left (at most `cap`); raises DeadlineExceeded when none are."""
        left = self.left()
        if left <= 0:
            raise self.exceeded()
        return left if cap is None else min(left, cap)

    def exceeded(self, doing: str = "") -> DeadlineExceeded:
        """The failure to raise when the deadline passed while `doing` something."""
        suffix = f" while {doing}" if doing else ""
        return DeadlineExceeded(
            f"deadline of {self.seconds:g} s exceeded{suffix}",
            {"deadline_s": self.seconds},
        )


class SocketGuard:
    """Shuts down every socket registered with it once its deadline passes.

    Use it as a context manager around the work; leaving the block cancels the
    watchdog entry (the sockets themselves are closed by their owners).
    """

    def __init__(self, deadline: Deadline):
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        """Whether the guarded block has ended, so the watchdog can forget it."""
        return self._cancelled

    def add(self, sock: socket.socket) -> socket.socket:
        """Guard a socket; if the deadline already passed, cut it off at once."""
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)
        return sock

    def fire(self) -> None:
        """Shut down every guarded socket (called by the watchdog thread)."""
        with self._lock:
            if self._cancelled:
                return
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def __enter__(self) -> SocketGuard:
        _WATCHDOG.schedule(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._cancelled = True
            self._sockets.clear()


def _shutdown(sock: socket.socket) -> None:
    # shutdown() wakes a thread blocked in recv() on Linux, where close() does
    # not. The base-class method is called so an SSLSocket's TLS state is left
    # alone; its pending read then fails with an error, as intended.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """One daemon thread firing SocketGuards in deadline order."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, SocketGuard]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, guard: SocketGuard) -> None:
        with self._condition:
            entry = (guard.deadline.expires_at, next(self._counter), guard)
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="probe-watchdog", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def _loop(self) -> None:
        while True:
            with self._condition:
                # Cancelled entries are dropped lazily from the top of the heap.
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                expires_at, _, guard = self._heap[0]
                wait = expires_at - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                heapq.heappop(self._heap)
            guard.fire()


_WATCHDOG = _Watchdog()
