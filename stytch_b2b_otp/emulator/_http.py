"""What the emulator's routes share: JSON replies, Stytch's error body, body parsing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from stytch_b2b_otp.emulator._catalogue import EmulatorError, error_url

if TYPE_CHECKING:
    from stytch_b2b_otp.emulator._emulator import Emulator

__all__ = ["EMULATOR_KEY", "error_response", "from_error", "json_response", "read_json"]

EMULATOR_KEY: web.AppKey[Emulator] = web.AppKey("emulator")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON reply, compact and UTF-8, as Stytch sends them."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


def error_response(
    emulator: Emulator,
    status: int,
    error_type: str,
    message: str,
    retry_after: float | str | None = None,
) -> web.Response:
    """Stytch's error body, with ``Retry-After`` when there is one."""
    body = {
        "status_code": status,
        "request_id": emulator.new_request_id(),
        "error_type": error_type,
        "error_message": message,
        "error_url": error_url(status),
    }
    headers = {"Retry-After": _header_value(retry_after)} if retry_after is not None else None
    return json_response(body, status=status, headers=headers)


def from_error(emulator: Emulator, error: EmulatorError) -> web.Response:
    """The reply for a rule's refusal."""
    return error_response(
        emulator, error.status, error.error_type, error.message, error.retry_after
    )


def _header_value(retry_after: float | str) -> str:
    if isinstance(retry_after, str):
        return retry_after
    return str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON (``None`` when empty).

    Raises:
        EmulatorError: ``bad_request`` when it is not JSON.
    """
    raw = await request.read()
    try:
        return json.loads(raw, parse_constant=_not_json) if raw else None
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise EmulatorError("bad_request", "The request body is not valid JSON.") from None


def _not_json(constant: str) -> Any:
    # Python's json reads NaN and Infinity; JSON has no such values, and Stytch says no.
    raise ValueError(constant)
