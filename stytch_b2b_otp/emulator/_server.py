"""The thin HTTP layer: Stytch's routes, Basic auth and faults.

Everything the emulator decides is decided by `OtpRules` and the directory; this module
only turns requests into calls, and answers (or `EmulatorError`) into Stytch's bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from stytch_b2b_otp._config import authorization_header
from stytch_b2b_otp._constants import SMS_AUTHENTICATE_PATH, SMS_SEND_PATH
from stytch_b2b_otp.emulator._admin import ADMIN_PREFIX, admin_routes
from stytch_b2b_otp.emulator._catalogue import EmulatorError
from stytch_b2b_otp.emulator._faults import Fault
from stytch_b2b_otp.emulator._http import (
    EMULATOR_KEY,
    error_response,
    from_error,
    json_response,
    read_json,
)

if TYPE_CHECKING:
    from stytch_b2b_otp.emulator._emulator import Emulator

__all__ = ["JWKS_PATH", "build_app"]

logger = logging.getLogger("stytch_b2b_otp.emulator")

JWKS_PATH = "/v1/b2b/sessions/jwks/{project_id}"
_JWKS_PREFIX = "/v1/b2b/sessions/jwks/"
# Stytch's request bodies are small (custom claims stop at 4 KB): refuse big ones early.
_MAX_BODY_BYTES = 64 * 1024
_MALFORMED = b'{"status_code": 200, "request_id": "request-id-'
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _stytch_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Credentials first; then every refusal, routing ones included, as Stytch's body."""
    emulator = request.app[EMULATOR_KEY]
    try:
        if not request.path.startswith(_JWKS_PREFIX):  # public keys need no secret
            _check_credentials(emulator, request)
        return await handler(request)
    except EmulatorError as error:
        return from_error(emulator, error)
    except web.HTTPMethodNotAllowed:
        return from_error(emulator, EmulatorError("method_not_allowed"))
    except web.HTTPNotFound:
        return from_error(emulator, EmulatorError("route_not_found"))
    except web.HTTPRequestEntityTooLarge:
        return from_error(emulator, EmulatorError("bad_request", "The request body is too large."))
    except web.HTTPException:
        raise
    except Exception:  # a bug of ours still answers in Stytch's format
        logger.exception("the emulator failed on %s %s", request.method, request.path)
        return from_error(emulator, EmulatorError("internal_server_error"))


def _check_credentials(emulator: Emulator, request: web.Request) -> None:
    given = request.headers.get("Authorization", "").encode()
    expected = authorization_header(emulator.project_id, emulator.secret).encode()
    if not hmac.compare_digest(given, expected):  # constant time: no timing oracle
        raise EmulatorError("unauthorized_credentials")


async def _misbehave(
    request: web.Request, fault: Fault, respond: Callable[[], web.Response]
) -> web.StreamResponse:
    emulator = request.app[EMULATOR_KEY]
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if not (fault.replies_error or fault.drop or fault.malformed):
        return respond()  # a delay and nothing else
    if fault.after_processing:
        with contextlib.suppress(EmulatorError):
            respond()  # the work is done (or refused); the reply is what goes wrong
    if fault.drop:
        if request.transport is not None:
            request.transport.abort()  # no status line, not a byte
        raise asyncio.CancelledError
    if fault.malformed:
        return web.Response(body=_MALFORMED, content_type="application/json")
    status, error_type, message = fault.error()
    return error_response(emulator, status, error_type, message, fault.retry_after)


def _endpoint(name: str) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        with request.app[EMULATOR_KEY].handling(name):
            return await _handle(request)

    async def _handle(request: web.Request) -> web.StreamResponse:
        emulator = request.app[EMULATOR_KEY]
        fault = emulator.take_fault(name)  # counts the call, whatever its body
        body = await read_json(request)

        def respond() -> web.Response:
            return json_response(emulator.handle(name, body))

        if fault is None:
            return respond()
        return await _misbehave(request, fault, respond)

    return handle


async def _jwks(request: web.Request) -> web.Response:
    emulator = request.app[EMULATOR_KEY]
    if request.match_info["project_id"] != emulator.project_id:
        raise EmulatorError("route_not_found")
    return json_response(emulator.jwks())


def build_app(emulator: Emulator) -> web.Application:
    """The emulator's aiohttp application: Stytch's routes plus the admin API."""
    app = web.Application(middlewares=[_stytch_errors], client_max_size=_MAX_BODY_BYTES)
    app[EMULATOR_KEY] = emulator
    app.router.add_post(SMS_SEND_PATH, _endpoint("send"))
    app.router.add_post(SMS_AUTHENTICATE_PATH, _endpoint("authenticate"))
    app.router.add_get(JWKS_PATH, _jwks)
    app.router.add_routes(admin_routes(ADMIN_PREFIX))
    return app
