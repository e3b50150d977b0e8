"""The emulator's clock: code expiry, sessions, locks and rate-limit windows read it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

__all__ = ["Clock"]

_MAX_ADVANCE = 100 * 365 * 24 * 3600.0


class Clock:
    """The time as the emulator sees it, which tests can move forward.

    Without ``start`` it follows the wall clock (plus whatever `advance` added), so
    timestamps in replies look current. With ``start`` it is frozen there and moves
    only when told, so a test's timestamps are exact.

    Args:
        start: A timezone-aware instant to freeze the clock at.

    Raises:
        ValueError: ``start`` is naive.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        self._frozen = start.astimezone(timezone.utc) if start is not None else None
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(timezone.utc)
            return base + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (codes expire, locks lift, windows roll over).

        Raises:
            ValueError: ``seconds`` is negative (time in the emulator never goes back),
                not finite, or more than a century.
        """
        if not 0 <= seconds < _MAX_ADVANCE:
            raise ValueError("seconds must be a number from 0 to 100 years")
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    def __repr__(self) -> str:
        mode = "frozen" if self._frozen is not None else "wall"
        return f"Clock({mode}, now={self.now().isoformat()})"
