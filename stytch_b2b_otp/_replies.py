"""Turning one HTTP reply into a typed response or a typed error (no I/O here).

The body is always read by the SDK (never ``raise_for_status``), so Stytch's
``error_type``, ``error_message`` and ``request_id`` survive, and a body that is
not JSON (a proxy's HTML 502) still maps to an error class by its status.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from stytch_b2b_otp import _json
from stytch_b2b_otp._constants import ERROR_EXCERPT_CHARS, MAX_REPLY_BYTES
from stytch_b2b_otp._exceptions import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from stytch_b2b_otp._redact import Scrubber, printable_excerpt
from stytch_b2b_otp._retry import parse_retry_after

__all__ = ["error_class_for", "read_error", "read_success", "read_with_converter"]

T = TypeVar("T")

_ERRORS_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}
_MESSAGE_CHARS = 500

# Whether replies go through msgspec first (the ``msgspec`` extra is installed).
FAST_PATH = importlib.util.find_spec("msgspec") is not None
_UNBUILT: Any = object()
_FAST_READERS: dict[type[Any], Callable[[bytes], Any] | None] = {}


def error_class_for(status: int) -> type[APIStatusError]:
    """The `APIStatusError` subclass for an HTTP status."""
    if 500 <= status < 600:
        return InternalServerError
    return _ERRORS_BY_STATUS.get(status, APIStatusError)


def read_success(body: bytes, cls: type[T], *, status: int, endpoint: str) -> T:
    """Decode and structure a 2xx body.

    With the ``msgspec`` extra, msgspec decodes it straight into the models first
    (`_fast`); whatever that fast path declines, the converter reads.

    Raises:
        InvalidResponseError: The body is not JSON, not an object, or does not fit
            ``cls``; the message names each offending field, never its value.
    """
    fast = _FAST_READERS.get(cls, _UNBUILT)
    if fast is _UNBUILT:
        fast = _FAST_READERS[cls] = _fast_reader(cls)
    if fast is None:
        return read_with_converter(body, cls, status=status, endpoint=endpoint)
    reply: T | None = fast(body)
    if reply is not None:
        return reply
    # Declined: the converter decides, on values decoded as the fast path decodes them
    # (orjson, say, would read an integer beyond 64 bits in metadata as a float).
    from stytch_b2b_otp._fast import loads

    return read_with_converter(body, cls, status=status, endpoint=endpoint, loads=loads)


def read_with_converter(
    body: bytes,
    cls: type[T],
    *,
    status: int,
    endpoint: str,
    loads: Callable[[bytes], Any] | None = None,
) -> T:
    """`read_success` without the fast path: decode, then structure with the converter.

    ``loads`` decodes (default `_json.loads`). This is what an install without the
    ``msgspec`` extra runs on every reply.

    Raises:
        InvalidResponseError: As `read_success`.
    """
    try:
        data = (loads or _json.loads)(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise InvalidResponseError(
            f"Stytch's {status} reply to {endpoint} is not JSON ({len(body)} bytes)",
            status_code=status,
            endpoint=endpoint,
        ) from None
    if type(data) is not dict:
        raise InvalidResponseError(
            f"Stytch's {status} reply to {endpoint} is not a JSON object",
            status_code=status,
            endpoint=endpoint,
        )
    # Imported here: cattrs and the converter load with the first reply, not the package.
    from stytch_b2b_otp._converter import StructureError, structure

    try:
        return structure(data, cls)
    except StructureError as exc:
        request_id = _string(data, "request_id")
        raise InvalidResponseError(
            f"Stytch's {status} reply to {endpoint} is not a valid {cls.__name__}: {exc}"
            + (f" [request_id: {printable_excerpt(request_id, 100)}]" if request_id else ""),
            status_code=status,
            request_id=request_id,
            endpoint=endpoint,
        ) from None


def _fast_reader(cls: type[T]) -> Callable[[bytes], T | None] | None:
    """The fast path's reader for ``cls``; ``None`` without the ``msgspec`` extra."""
    if not FAST_PATH:
        return None
    from stytch_b2b_otp._fast import FastReader

    return FastReader(cls)


def read_error(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    endpoint: str,
    truncated: bool = False,
    cut_off: bool = False,
    secrets: Sequence[str] = (),
) -> APIStatusError:
    """The typed error for a non-2xx reply (returned, not raised).

    ``secrets`` (the credentials, the code and tokens that were sent) are redacted
    wherever the body echoes them (see `Scrubber`), so no message, attribute or log
    line can show one. Stytch's ``request_id`` is kept as sent.
    """
    scrubber = Scrubber(secrets)
    decoded, echoed = _decode_json(body, scrubber) if not truncated else (None, False)
    data = decoded if type(decoded) is dict else None
    cls = error_class_for(status)
    fields: dict[str, Any]
    if data is not None and isinstance(data.get("error_type"), str):
        error_type = _string(data, "error_type")
        error_message = _string(data, "error_message")
        request_id = _string(data, "request_id")
        details = data.get("error_details")
        fields = {
            "request_id": request_id,
            "error_type": error_type,
            "error_message": error_message,
            "error_url": _string(data, "error_url"),
            "error_details": details if isinstance(details, dict) else None,
            "body": data,
        }
        summary = f"{status} {printable_excerpt(error_type or '', 100)}"
        if error_message:
            summary += f": {printable_excerpt(error_message, _MESSAGE_CHARS)}"
        context = f"request_id: {printable_excerpt(request_id, 100)}, " if request_id else ""
    else:
        if echoed:  # JSON, not Stytch's, echoing a secret: quoted as scrubbed
            text = json.dumps(decoded, ensure_ascii=False, default=str)
        else:
            text = scrubber.text(body.decode("utf-8", "replace"))
        excerpt = printable_excerpt(text, ERROR_EXCERPT_CHARS)
        fields = {"body": excerpt}
        summary = f"{status}, not a Stytch error body"
        if truncated:
            summary += f" (over {MAX_REPLY_BYTES} bytes; it was not read further)"
        if cut_off:
            summary = f"{status}; its body could not be read (cut off or badly encoded)"
        if 300 <= status < 400 and headers.get("Location"):
            location = printable_excerpt(scrubber.text(headers["Location"]), 100)
            summary += f" (a redirect to {location!r}; redirects are not followed)"
        if excerpt:
            summary += f": {excerpt!r}"
        context = ""
    message = f"{summary} [{context}POST {endpoint}]"
    if cls is RateLimitError:
        return RateLimitError(
            message,
            status_code=status,
            endpoint=endpoint,
            retry_after=parse_retry_after(headers),
            **fields,
        )
    return cls(message, status_code=status, endpoint=endpoint, **fields)


def _decode_json(body: bytes, scrubber: Scrubber) -> tuple[Any, bool]:
    """The decoded body with echoes scrubbed (but its ``request_id``); whether any were.

    ``(None, False)`` when it is not JSON, or is nested too deeply to look through.
    """
    try:
        decoded = _json.loads(body)
        scrubbed = scrubber.json(decoded) if scrubber else decoded
    except (ValueError, RecursionError):
        return None, False
    if type(decoded) is dict and "request_id" in decoded:
        scrubbed["request_id"] = decoded["request_id"]
    return scrubbed, scrubbed != decoded


def _string(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None
