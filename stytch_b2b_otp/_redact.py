"""Keeping secrets and personal data out of reprs, messages and logs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["mask_phone", "masked_phone", "printable_excerpt", "scrub", "scrub_json", "secret_repr"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # C0, DEL, C1, line separators


def secret_repr(value: object) -> str:
    """The repr of a secret attribute: whether it is set, never what it is."""
    return "None" if value is None else "'<redacted>'"


def masked_phone(phone: str) -> str:
    """A phone number with only the ``+`` and the last two digits shown."""
    if len(phone) < 5:
        return phone
    return phone[0] + "*" * (len(phone) - 3) + phone[-2:]


def mask_phone(value: object) -> str:
    """The repr of a phone number, masked by `masked_phone`."""
    return repr(masked_phone(value) if isinstance(value, str) else value)


def printable_excerpt(text: str, limit: int) -> str:
    """``text`` with control characters (CR, LF, ESC...) collapsed and length bounded.

    Used for text that came off the wire and goes into a message or a log line, so a
    hostile body cannot forge log lines or flood them.
    """
    cleaned = _CONTROL.sub(" ", text).strip()
    if len(cleaned) > limit:
        return cleaned[: limit - 1] + "…"
    return cleaned


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``<redacted>``.

    For text that came off the wire and may echo what was sent: an error message
    quoting the code, a proxy's error page quoting the request.
    """
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, "<redacted>")
    return text


def scrub_json(value: Any, secrets: Sequence[str]) -> Any:
    """A decoded JSON value with `scrub` applied to every string in it."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {scrub(key, secrets): scrub_json(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_json(item, secrets) for item in value]
    return value
