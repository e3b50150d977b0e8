"""RFC 3339 timestamps, parsed the same way on every supported Python.

``datetime.fromisoformat`` accepts different inputs on 3.10 (no ``Z``, 3 or 6
fraction digits only) and on 3.11+ (date-only strings, ISO week dates...), so a
reply would parse on one and fail on another. One grammar, here, for all of them.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone

__all__ = ["parse_timestamp"]

# Stytch's own form, e.g. 2025-03-04T19:22:05Z: checked here, then parsed by C code.
_CANONICAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?(?:[Zz]|([+-])([01][0-9]|2[0-3]):?([0-5][0-9]))?"
)


_SECOND = timedelta(seconds=1)


@functools.lru_cache(maxsize=64)
def _offset(sign: str, hours: str, minutes: str) -> timezone:
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware ``datetime``.

    Fractions of a second are rounded to the nearest microsecond (half up, carrying
    into the second), and an offset may be written without its colon (``+0530``), as
    msgspec reads them: with the ``msgspec`` extra, replies are read by msgspec
    first, and both must give the same datetime. A timestamp without an offset is
    taken as UTC (Stytch always sends ``Z``).

    Raises:
        ValueError: Not an RFC 3339 timestamp, or a field is out of range. The
            message does not repeat the input.
    """
    try:
        if _CANONICAL.fullmatch(text):
            return datetime.fromisoformat(text[:19] + "+00:00")
    except ValueError:
        raise ValueError("expected an RFC 3339 timestamp (a field is out of range)") from None
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError("expected an RFC 3339 timestamp")
    year, month, day, hour, minute, second, fraction, sign, off_hours, off_minutes = match.groups()
    zone = timezone.utc if sign is None else _offset(sign, off_hours, off_minutes)
    micros = 0
    if fraction:
        micros = int(fraction[:6].ljust(6, "0")) + (len(fraction) > 6 and fraction[6] >= "5")
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), 0, zone
        )
        return moment.replace(microsecond=micros) if micros < 1_000_000 else moment + _SECOND
    except (ValueError, OverflowError):
        raise ValueError("expected an RFC 3339 timestamp (a field is out of range)") from None
