"""Latency samples and their summary (nearest-rank percentiles)."""
from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from pathlib import Path


def process_tree_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its descendants so far (Linux /proc;
    NaN elsewhere). A process that ended is no longer counted."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            if current == pid:
                return float("nan")
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        pending += [int(child) for child in children]
    return total / ticks


class Timings:
    """Per-request durations and statuses; thread-safe ``add``; ``wall`` is set by the runner."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()  # exceptions on the client side, by type
        self.began = time.perf_counter()
        self.wall: float | None = None
        self.cpu: float | None = None  # CPU seconds the work cost (process or server), if known
        self.client_cpu: float | None = None  # the load generator's CPU seconds (HTTP runs)
        self._lock = threading.Lock()

    def add(self, seconds: float, status: int) -> None:
        with self._lock:
            self.samples.append(seconds)
            self.statuses[status] += 1

    def error(self, error: BaseException) -> None:
        with self._lock:
            self.errors[type(error).__name__] += 1

    def merge(self, other: "Timings") -> None:
        self.samples += other.samples
        self.statuses.update(other.statuses)
        self.errors.update(other.errors)

    def finish(self) -> "Timings":
        self.wall = time.perf_counter() - self.began
        return self

    @property
    def ok(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        """Successful operations per second of wall time."""
        wall = self.wall if self.wall is not None else sum(self.samples)
        return self.ok / wall if wall else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile in milliseconds (0.0 without samples)."""
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def cpu_ms_per_op(self) -> float | None:
        return self.cpu / self.ok * 1000 if self.cpu is not None and self.ok else None

    @property
    def client_cpu_ms_per_op(self) -> float | None:
        """The load generator's CPU per successful request, in milliseconds."""
        return (self.client_cpu / self.ok * 1000
                if self.client_cpu is not None and self.ok else None)

    @property
    def max_ms(self) -> float:
        return max(self.samples) * 1000 if self.samples else 0.0

    def status_text(self) -> str:
        parts = [f"{status}:{count}" for status, count in sorted(self.statuses.items())]
        parts += [f"{name}:{count}" for name, count in sorted(self.errors.items())]
        return " ".join(parts)
