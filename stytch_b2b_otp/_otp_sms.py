"""``client.otps.sms``: the two SMS OTP endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from stytch_b2b_otp._constants import SMS_AUTHENTICATE_PATH, SMS_SEND_PATH
from stytch_b2b_otp._requests import SmsAuthenticateRequest, SmsSendRequest
from stytch_b2b_otp._responses import SmsAuthenticateResponse, SmsSendResponse

if TYPE_CHECKING:
    from stytch_b2b_otp._client import StytchB2BClient

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
        return await self._client._call(SMS_AUTHENTICATE_PATH, request, SmsAuthenticateResponse)


class Otps:
    """``client.otps``: one-time passcodes (SMS for now)."""

    def __init__(self, client: StytchB2BClient) -> None:
        self.sms = SmsOtps(client)
