"""SMS MFA in aiohttp: one Stytch client for the app, and errors mapped to HTTP.

Run with ``python aiohttp_app.py``. The client reads STYTCH_PROJECT_ID and
STYTCH_SECRET; set STYTCH_BASE_URL to use the emulator instead of Stytch.
"""

import json
import logging
import math
import os

from aiohttp import web
from aiohttp.typedefs import Handler

from stytch_b2b_otp import (
    APIConnectionError,
    APIStatusError,
    InternalServerError,
    InvalidResponseError,
    RateLimitError,
    RequestValidationError,
    StytchError,
)
from stytch_b2b_otp.aiohttp import get_stytch_client, stytch_cleanup_ctx

logger = logging.getLogger("mfa")
routes = web.RouteTableDef()
SESSION_COOKIE = "session"


async def read_body(request: web.Request, *required: str) -> dict[str, str]:
    """The string fields of a JSON object body; 400 if one of ``required`` is missing."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not all(isinstance(body.get(f), str) for f in required):
        raise web.HTTPBadRequest(  # never echo the body: it may hold a code
            text=json.dumps({"detail": f"Expected a JSON object with {', '.join(required)}."}),
            content_type="application/json",
        )
    return {name: value for name, value in body.items() if isinstance(value, str)}


@routes.post("/mfa/sms/send")
async def send_code(request: web.Request) -> web.Response:
    # The ids and token come from the primary login (a magic link, a password...). A
    # real app keeps them in its server-side session; here they travel in the body.
    body = await read_body(request, "organization_id", "member_id", "intermediate_session_token")
    await get_stytch_client(request).otps.sms.send(
        organization_id=body["organization_id"],
        member_id=body["member_id"],
        mfa_phone_number=body.get("mfa_phone_number"),  # to enroll a phone, the first time
        intermediate_session_token=body["intermediate_session_token"],
    )
    return web.json_response({"sent": True})


@routes.post("/mfa/sms/verify")
async def verify_code(request: web.Request) -> web.Response:
    body = await read_body(
        request, "organization_id", "member_id", "intermediate_session_token", "code"
    )
    auth = await get_stytch_client(request).otps.sms.authenticate(
        organization_id=body["organization_id"],
        member_id=body["member_id"],
        code=body["code"],
        intermediate_session_token=body["intermediate_session_token"],
    )
    response = web.json_response({"member_id": auth.member_id})
    # The session token goes in a cookie that scripts cannot read, never in the body.
    response.set_cookie(
        SESSION_COOKIE, auth.session_token, httponly=True, secure=True, samesite="Lax"
    )
    return response


# What the person is told, by Stytch's error_type: these are theirs to fix. Anything
# else Stytch refuses is ours (a bug, a bad secret), even when its status is a 4xx.
USER_ERRORS: dict[str, tuple[int, str]] = {
    "otp_code_not_found": (401, "That code is not right. Check it and try again."),
    "unable_to_auth_otp_code": (401, "That code has expired. Ask for a new one."),
    "intermediate_session_not_found": (401, "Your sign-in has expired. Sign in again."),
    "user_lock_limit_reached": (429, "Too many wrong codes. Try again later."),
    "too_many_requests": (429, "Too many codes sent to this number. Try again later."),
    "invalid_phone_number": (400, "That is not a valid phone number."),
    "invalid_phone_number_country_code": (400, "We cannot text numbers in that country."),
}


def http_problem(error: StytchError) -> tuple[int, str]:
    """The status and message for a failed call.

    A wrong code is the user's problem, a timeout is ours. SDK errors hold no codes
    or tokens, so they can be logged.
    """
    if isinstance(error, APIStatusError) and (known := USER_ERRORS.get(error.error_type or "")):
        logger.info("MFA refused: %s (request %s)", error.error_type, error.request_id)
        return known
    if isinstance(error, RequestValidationError):  # e.g. a code that is not 6 digits
        return 400, f"Invalid {error.field}."
    if isinstance(error, RateLimitError):
        return 429, "Too many attempts. Try again later."
    if isinstance(error, (APIConnectionError, InternalServerError, InvalidResponseError)):
        logger.warning("Stytch unavailable: %s", error)  # timeouts included
        return 503, "Sign-in is unavailable right now. Try again in a moment."
    logger.error("Stytch refused our request: %s", error)  # a bug or a bad setting
    return 500, "Something went wrong on our side."


@web.middleware
async def stytch_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except StytchError as error:
        status, detail = http_problem(error)
        headers = {}
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            headers["Retry-After"] = str(math.ceil(error.retry_after))
        return web.json_response({"detail": detail}, status=status, headers=headers)


def create_app() -> web.Application:
    """The application. Settings are read here, so a test sets them first."""
    app = web.Application(middlewares=[stytch_errors])
    # One client for the whole app: made at start-up, closed at cleanup.
    app.cleanup_ctx.append(
        stytch_cleanup_ctx(
            base_url=os.environ.get("STYTCH_BASE_URL") or None,  # None: Stytch itself
            timeout=float(os.environ.get("STYTCH_TIMEOUT", "10")),  # someone is waiting
        )
    )
    app.add_routes(routes)
    return app


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    web.run_app(create_app(), host="127.0.0.1", port=8080)
