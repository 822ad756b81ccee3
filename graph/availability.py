"""The process's readiness flag: is Neo4j answering?

While Neo4j is down, every request would wait for a connection before its 503.
Instead, the first failure marks the database down; from then on one request per
``recheck_s`` seconds tries Neo4j (and marks it up again when it answers), and
every other request is refused at once.

Examples
--------
>>> now = [0.0]
>>> flag = Availability(recheck_s=1.0, clock=lambda: now[0])
>>> flag.admit(), flag.ready
(True, True)
>>> flag.mark_down()
>>> flag.admit(), flag.admit()  # the first request after the failure probes; others wait
(False, False)
>>> now[0] = 1.5
>>> flag.admit(), flag.admit()
(True, False)
>>> flag.mark_up()
>>> flag.admit(), flag.ready
(True, True)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Availability:
    """A thread-safe up/down flag with one probe per ``recheck_s`` while down."""

    def __init__(self, recheck_s: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.recheck_s = recheck_s
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._next_probe = 0.0

    @property
    def ready(self) -> bool:
        """``False`` from a failure until Neo4j answers again."""
        return self._down_since is None

    def admit(self) -> bool:
        """Whether this request may use Neo4j: always when up, one per interval when down."""
        with self._lock:
            if self._down_since is None:
                return True
            now = self._clock()
            if now >= self._next_probe:
                self._next_probe = now + self.recheck_s
                return True
            return False

    def mark_down(self) -> None:
        """Record a failure to reach Neo4j; the next probe waits ``recheck_s``."""
        with self._lock:
            now = self._clock()
            if self._down_since is None:
                self._down_since = now
            self._next_probe = now + self.recheck_s

    def mark_up(self) -> None:
        """Record that Neo4j answered."""
        with self._lock:
            self._down_since = None
