"""How the command line shows things: one place that masks secrets before printing."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "describe_factor",
    "fail",
    "mask",
    "mask_code",
    "masked_raw",
    "say",
    "when",
]

_SECRET_KEYS = ("session_token", "session_jwt", "intermediate_session_token")


def say(text: str = "") -> None:
    """One line on stdout, flushed (a pipe reader sees it at once)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def fail(text: str) -> None:
    """One line on stderr: what went wrong and what to do about it."""
    sys.stderr.write(f"stytch-b2b-otp: error: {text}\n")
    sys.stderr.flush()


def warn(text: str) -> None:
    """One line on stderr that does not stop the command (a bad row, say)."""
    sys.stderr.write(f"stytch-b2b-otp: {text}\n")
    sys.stderr.flush()


def mask(secret: str) -> str:
    """A token shown as its first 4 characters and its length: enough to tell two apart."""
    return f"{secret[:4]}… ({len(secret)} chars)"


def mask_code(code: str) -> str:
    """A passcode with all but its last two digits hidden."""
    return "•" * (len(code) - 2) + code[-2:]


def when(moment: datetime, now: datetime) -> str:
    """``2026-11-22 10:00:00 UTC (in 60 min)``."""
    minutes = round((moment - now).total_seconds() / 60)
    utc = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{utc} (in {minutes} min)"


def describe_factor(factor: Any) -> str:
    """``otp/sms`` for an AuthenticationFactor."""
    return f"{factor.type}/{factor.delivery_method}"


def masked_raw(raw: dict[str, Any], *, show_secrets: bool) -> dict[str, Any]:
    """A reply's JSON for printing, tokens masked unless asked for."""
    if show_secrets:
        return raw
    return {
        key: mask(value) if key in _SECRET_KEYS and isinstance(value, str) and value else value
        for key, value in raw.items()
    }
