"""Keeping secrets and personal data out of reprs, messages and logs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["Scrubber", "mask_phone", "masked_phone", "printable_excerpt", "secret_repr"]

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


class Scrubber:
    r"""Replaces echoes of the given secrets in text with ``<redacted>``.

    For text that came off the wire and may quote what was sent: an error message
    naming the code, a gateway's debug page showing the request. A secret is found as
    sent or JSON-escaped (``\/``, ``\u002b``...), the longest first, so no part of
    a longer secret is left behind. A secret of digits alone (the code) is found only
    where no other digit touches it, so ids and times that merely contain those
    digits stay readable.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for secret in secrets if secret for form in _echo_forms(secret)}
        patterns = [
            rf"(?<![0-9]){re.escape(form)}(?![0-9])" if form.isdigit() else re.escape(form)
            for form in sorted(forms, key=len, reverse=True)
        ]
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, text: str) -> str:
        """``text`` with every echo replaced."""
        return text if self._pattern is None else self._pattern.sub("<redacted>", text)

    def json(self, value: Any) -> Any:
        """A decoded JSON value with every string in it (keys too) passed through `text`."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(key): self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value


def _echo_forms(secret: str) -> set[str]:
    escaped = json.dumps(secret)[1:-1]  # ASCII-only JSON, as most servers write it
    return {secret} | {
        escaped.replace("/", slash).replace("+", plus)
        for slash in ("/", "\\/")
        for plus in ("+", "\\u002b", "\\u002B")
    }
