"""``client.otps.sms``: the two SMS OTP endpoints."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from stytch_b2b_otp._constants import SMS_AUTHENTICATE_PATH, SMS_SEND_PATH
from stytch_b2b_otp._requests import SmsAuthenticateRequest, SmsSendRequest

# The reply models and the bulk engine are imported on first use, not with the
# package: their attrs classes are most of its import time.
if TYPE_CHECKING:
    from stytch_b2b_otp._bulk import ProgressCallback, SendOutcome, SendRequests
    from stytch_b2b_otp._client import StytchB2BClient
    from stytch_b2b_otp._responses import SmsAuthenticateResponse, SmsSendResponse

__all__ = ["Otps", "SmsOtps"]


class SmsOtps:
    """SMS one-time passcodes for members: send a code, then authenticate it."""

    def __init__(self, client: StytchB2BClient) -> None:
        self._client = client

    async def send(
        self,
        *,
        organization_id: str,
        member_id: str,
        mfa_phone_number: str | None = None,
        locale: str | None = None,
        intermediate_session_token: str | None = None,
        session_token: str | None = None,
        session_jwt: str | None = None,
    ) -> SmsSendResponse:
        """Text the member a 6-digit code (``POST /v1/b2b/otps/sms/send``).

        The code is valid for 2 minutes; sending again invalidates the previous
        one. A member without a phone gets ``mfa_phone_number`` linked. Pass the
        intermediate session token (or session) when the member already has an
        MFA factor. See `SmsSendRequest` for every argument.

        A send is never retried once it may have reached Stytch (a timeout after
        sending, a 5xx by default): a second attempt would text the member again.

        Raises:
            RequestValidationError: An argument is invalid; nothing was sent.
            ClientClosedError: The client was closed.
            APIStatusError: Stytch answered with an error (a subclass per status).
            APIConnectionError: No usable reply (``APITimeoutError`` on timeout).
            InvalidResponseError: The reply was not what Stytch sends.
        """
        request = SmsSendRequest(
            organization_id=organization_id,
            member_id=member_id,
            mfa_phone_number=mfa_phone_number,
            locale=locale,
            intermediate_session_token=intermediate_session_token,
            session_token=session_token,
            session_jwt=session_jwt,
        )
        from stytch_b2b_otp._responses import SmsSendResponse

        return await self._client._call(SMS_SEND_PATH, request, SmsSendResponse)

    async def authenticate(
        self,
        *,
        organization_id: str,
        member_id: str,
        code: str,
        intermediate_session_token: str | None = None,
        session_token: str | None = None,
        session_jwt: str | None = None,
        set_mfa_enrollment: Literal["enroll", "unenroll"] | None = None,
        set_default_mfa: bool | None = None,
        session_duration_minutes: int | None = None,
        session_custom_claims: Mapping[str, Any] | None = None,
        telemetry_id: str | None = None,
    ) -> SmsAuthenticateResponse:
        """Check the member's code (``POST /v1/b2b/otps/sms/authenticate``).

        Exactly one of ``intermediate_session_token`` (completing MFA; it is
        consumed), ``session_token`` or ``session_jwt`` (step-up) is required. On
        success the reply carries the member session, its token and JWT. See
        `SmsAuthenticateRequest` for every argument.

        Raises:
            RequestValidationError: An argument is invalid; nothing was sent.
            ClientClosedError: The client was closed.
            NotFoundError: The code is wrong (``otp_code_not_found``), or the
                member, organization or session is unknown.
            AuthenticationError: The code expired or was used
                (``unable_to_auth_otp_code``), or the credentials are wrong.
            RateLimitError: Rate limited, or the member is locked
                (``user_lock_limit_reached``).
            APIStatusError: Any other error status.
            APIConnectionError: No usable reply (``APITimeoutError`` on timeout).
            InvalidResponseError: The reply was not what Stytch sends.
        """
        request = SmsAuthenticateRequest(
            organization_id=organization_id,
            member_id=member_id,
            code=code,
            intermediate_session_token=intermediate_session_token,
            session_token=session_token,
            session_jwt=session_jwt,
            set_mfa_enrollment=set_mfa_enrollment,
            set_default_mfa=set_default_mfa,
            session_duration_minutes=session_duration_minutes,
            session_custom_claims=session_custom_claims,
            telemetry_id=telemetry_id,
        )
        from stytch_b2b_otp._responses import SmsAuthenticateResponse

        return await self._client._call(SMS_AUTHENTICATE_PATH, request, SmsAuthenticateResponse)

    def send_stream(
        self,
        requests: SendRequests,
        *,
        concurrency: int = 32,
        rate_limit: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> AsyncGenerator[SendOutcome, None]:
        """Send many codes; yield one `SendOutcome` per request as each completes.

        ``requests`` is any iterable or async iterable of `SmsSendRequest`, read
        lazily: at most ``2 * concurrency`` requests are pulled ahead of the outcomes
        yielded, so an input of 100,000 items (or an endless stream) holds memory in
        proportion to ``concurrency``. At most ``concurrency`` requests are in flight
        (fewer if the client's pool is smaller). ``rate_limit`` spaces attempts
        evenly at that many per second, across the whole batch. A 429 that the retry
        policy waits out (its ``Retry-After`` is at most ``max_retry_after``) pauses
        every worker for that long, then the item is retried. An item that fails
        (after the retries its policy allows) yields an outcome carrying the error;
        the batch goes on. ``progress(done, total)`` is called after each outcome
        (``total`` is ``None`` when the input has no length).

        Breaking out of the loop, or cancelling the task that iterates, cancels the
        requests in flight; the client stays usable. To stop at once rather than
        when the generator is collected, iterate inside
        ``contextlib.aclosing(client.otps.sms.send_stream(...))``.

        Raises:
            TypeError: An item is not an `SmsSendRequest` (raised when it is
                reached; the batch stops).
            ValueError: ``concurrency`` or ``rate_limit`` is not positive.
            ClientClosedError: The client is (or gets) closed.
        """
        from stytch_b2b_otp._bulk import stream_sends

        return stream_sends(
            self._client,
            requests,
            concurrency=concurrency,
            rate_limit=rate_limit,
            progress=progress,
        )

    async def send_many(
        self,
        requests: SendRequests,
        *,
        concurrency: int = 32,
        rate_limit: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[SendOutcome]:
        """Send many codes; one `SendOutcome` per request, in input order.

        The same engine as `send_stream` (bounded concurrency, pacing, a batch-wide
        pause on 429, failures kept as outcomes), collected into a list, so memory
        grows with the input. Cancelling the awaiting task cancels the requests in
        flight and leaves the client usable.

        Raises:
            TypeError: An item is not an `SmsSendRequest`.
            ValueError: ``concurrency`` or ``rate_limit`` is not positive.
            ClientClosedError: The client is (or gets) closed.
        """
        stream = self.send_stream(
            requests, concurrency=concurrency, rate_limit=rate_limit, progress=progress
        )
        async with contextlib.aclosing(stream):
            outcomes = [outcome async for outcome in stream]
        outcomes.sort(key=lambda outcome: outcome.index)
        return outcomes


class Otps:
    """``client.otps``: one-time passcodes (SMS for now)."""

    def __init__(self, client: StytchB2BClient) -> None:
        self.sms = SmsOtps(client)
