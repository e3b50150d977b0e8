"""Progress of ``bulk-send``: a rich progress bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Protocol

from stytch_b2b_otp._cli_output import warn

__all__ = ["Progress", "open_progress"]

PLAIN_EVERY_SECONDS = 2.0


class Progress(Protocol):
    """Told about every finished row; shows it somewhere."""

    def advance(self, counts: Counter[str]) -> None:
        """A row is done; ``counts`` holds the totals so far."""

    def close(self) -> None:
        """The batch is over (or was stopped)."""


def _done(counts: Counter[str]) -> int:
    return counts["sent"] + counts["failed"] + counts["unknown"] + counts["skipped"]


class PlainProgress:
    """A line on stderr every few seconds: for logs, pipes and CI."""

    def __init__(self, total: int | None) -> None:
        self._total = total
        self._started = self._last = time.monotonic()
        self._counts: Counter[str] = Counter()

    def advance(self, counts: Counter[str]) -> None:
        """Print a line if the last one is a few seconds old."""
        self._counts = counts
        now = time.monotonic()
        if now - self._last >= PLAIN_EVERY_SECONDS:
            self._last = now
            warn(self.line(now))

    def line(self, now: float) -> str:
        """``1200/10000 rows (12%), 350 rows/s, ETA 25 s, 3 failed``."""
        done = _done(self._counts)
        rate = done / max(now - self._started, 1e-9)
        if self._total:
            left = max(self._total - done, 0)
            eta = f", ETA {left / rate:.0f} s" if rate else ""
            where = f"{done}/{self._total} rows ({100 * done // self._total}%)"
        else:
            eta, where = "", f"{done} rows"
        return f"bulk-send: {where}, {rate:.0f} rows/s{eta}, {self._counts['failed']} failed"

    def close(self) -> None:
        """Nothing to clean up; the summary follows on stdout."""


class RichProgress:
    """A live bar with rate and ETA (needs the ``cli`` extra: rich)."""

    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("bulk-send"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} rows/s"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]} failed"),
            console=Console(stderr=True),
        )
        self._started = time.monotonic()
        self._task = self._bar.add_task("rows", total=total, rate="0", failed=0)
        self._bar.start()

    def advance(self, counts: Counter[str]) -> None:
        """Move the bar."""
        done = _done(counts)
        rate = done / max(time.monotonic() - self._started, 1e-9)
        self._bar.update(self._task, completed=done, rate=f"{rate:.0f}", failed=counts["failed"])

    def close(self) -> None:
        """Leave the finished bar on screen."""
        self._bar.stop()


def open_progress(total: int | None) -> Progress:
    """A bar on a terminal when rich is installed; plain periodic lines otherwise."""
    if sys.stderr.isatty():
        try:
            return RichProgress(total)
        except ImportError:
            pass
    return PlainProgress(total)
