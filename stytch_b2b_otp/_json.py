"""JSON encoding and decoding in one place.

Requests are encoded with the standard library, so what a request accepts never
depends on which extras are installed. Replies are decoded with ``orjson`` when the
``orjson`` extra is installed (several times faster on Stytch's replies), otherwise
with the standard library. Both raise a `ValueError` subclass on bad input and give
the same Python objects for Stytch's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "loads"]

try:
    import orjson
except ImportError:  # the orjson extra is optional
    loads: Callable[[bytes], Any] = json.loads
else:
    loads = orjson.loads


def dumps(value: object) -> bytes:
    """Compact UTF-8 JSON; rejects NaN and infinities, which are not JSON."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
