"""SMS MFA in FastAPI: one Stytch client for the app, and errors mapped to HTTP.

Run with ``uvicorn fastapi_app:app``. The client reads STYTCH_PROJECT_ID and
STYTCH_SECRET; set STYTCH_BASE_URL to use the emulator instead of Stytch.
"""

import logging
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from stytch_b2b_otp import (
    APIConnectionError,
    APIStatusError,
    InternalServerError,
    InvalidResponseError,
    RateLimitError,
    RequestValidationError,
    StytchError,
)
from stytch_b2b_otp.fastapi import StytchClient, stytch_client_context

logger = logging.getLogger("mfa")
SESSION_COOKIE = "session"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Settings are read at start-up, not at import, so a deployment (or a test) can
    # set them first. One client for the whole app, closed at shutdown.
    async with stytch_client_context(
        app,
        base_url=os.environ.get("STYTCH_BASE_URL") or None,  # None: Stytch itself
        timeout=float(os.environ.get("STYTCH_TIMEOUT", "10")),  # someone is waiting
    ):
        # ...and your database pool, caches and so on.
        yield


app = FastAPI(lifespan=lifespan)


class SendCode(BaseModel):
    # These come from the primary login (a magic link, a password...). A real app
    # keeps them in its server-side session; here they travel in the body.
    organization_id: str
    member_id: str
    intermediate_session_token: str
    mfa_phone_number: str | None = None  # to enroll a phone, the first time


class VerifyCode(BaseModel):
    organization_id: str
    member_id: str
    intermediate_session_token: str
    code: str


@app.post("/mfa/sms/send")
async def send_code(body: SendCode, stytch: StytchClient) -> dict[str, bool]:
    await stytch.otps.sms.send(
        organization_id=body.organization_id,
        member_id=body.member_id,
        mfa_phone_number=body.mfa_phone_number,
        intermediate_session_token=body.intermediate_session_token,
    )
    return {"sent": True}


@app.post("/mfa/sms/verify")
async def verify_code(body: VerifyCode, stytch: StytchClient, response: Response) -> dict[str, str]:
    auth = await stytch.otps.sms.authenticate(
        organization_id=body.organization_id,
        member_id=body.member_id,
        code=body.code,
        intermediate_session_token=body.intermediate_session_token,
    )
    # The session token goes in a cookie that scripts cannot read, never in the body.
    response.set_cookie(
        SESSION_COOKIE, auth.session_token, httponly=True, secure=True, samesite="lax"
    )
    return {"member_id": auth.member_id}


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


@app.exception_handler(StytchError)
async def stytch_error(request: Request, error: StytchError) -> JSONResponse:
    status, detail = http_problem(error)
    headers = {}
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        headers["Retry-After"] = str(math.ceil(error.retry_after))
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)
