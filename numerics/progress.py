"""A dependency-free progress bar on stderr, shown only when stderr is a terminal."""
from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str = "", stream=None, enabled: bool | None = None):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self.t0 = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: int | None = None, total: int | None = None):
        """Advance by one, or set ``done`` (and optionally ``total``)."""
        if total is not None:
            self.total = max(int(total), 1)
        self.done = self.done + 1 if done is None else int(done)
        now = time.perf_counter()
        if self.enabled and (now - self._last > 0.1 or self.done >= self.total):
            self._last = now
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
            el = now - self.t0
            eta = el / frac - el if frac > 0 else float("nan")
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} "
                              f"{el:.1f}s eta {eta:.1f}s ")
            self.stream.flush()

    def message(self, text: str):
        if self.enabled:
            self.stream.write("\r" + text + "\n")
            self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def stderr_message(text: str):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
