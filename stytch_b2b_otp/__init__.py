"""An asyncio-first SDK for Stytch's B2B SMS one-time-passcode API.

```python
from stytch_b2b_otp import StytchB2BClient

async with StytchB2BClient() as client:  # STYTCH_PROJECT_ID / STYTCH_SECRET
    await client.otps.sms.send(organization_id=org_id, member_id=member_id)
    resp = await client.otps.sms.authenticate(
        organization_id=org_id, member_id=member_id, code=code,
        intermediate_session_token=ist,
    )
```
"""

from stytch_b2b_otp._bulk import SendOutcome
from stytch_b2b_otp._client import StytchB2BClient
from stytch_b2b_otp._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    StytchError,
)
from stytch_b2b_otp._member import (
    Member,
    MemberRole,
    MemberRoleSource,
    OAuthRegistration,
    RetiredEmail,
    SCIMRegistration,
    SSORegistration,
)
from stytch_b2b_otp._organization import (
    ActiveSCIMConnection,
    ActiveSSOConnection,
    CustomRole,
    CustomRolePermission,
    EmailImplicitRoleAssignment,
    Organization,
)
from stytch_b2b_otp._requests import SmsAuthenticateRequest, SmsSendRequest
from stytch_b2b_otp._responses import (
    DeviceAttributeDetails,
    DeviceInfo,
    SmsAuthenticateResponse,
    SmsSendResponse,
)
from stytch_b2b_otp._retry import RetryPolicy
from stytch_b2b_otp._scim import (
    SCIMAddress,
    SCIMAttributes,
    SCIMEnterpriseExtension,
    SCIMGroup,
    SCIMManager,
    SCIMMultiValue,
    SCIMName,
)
from stytch_b2b_otp._session import (
    AuthenticationFactor,
    AuthenticatorAppFactor,
    BiometricFactor,
    CryptoWalletFactor,
    EmailFactor,
    EmbeddableMagicLinkFactor,
    ImpersonatedFactor,
    MemberSession,
    OAuthAccessTokenExchangeFactor,
    OAuthExchangeFactor,
    OAuthFactor,
    PhoneNumberFactor,
    RecoveryCodeFactor,
    SSOFactor,
    TrustedAuthTokenFactor,
    WebAuthnFactor,
)
from stytch_b2b_otp._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "ActiveSCIMConnection",
    "ActiveSSOConnection",
    "AuthenticationError",
    "AuthenticationFactor",
    "AuthenticatorAppFactor",
    "BadRequestError",
    "BiometricFactor",
    "ClientClosedError",
    "ConflictError",
    "CryptoWalletFactor",
    "CustomRole",
    "CustomRolePermission",
    "DeviceAttributeDetails",
    "DeviceInfo",
    "EmailFactor",
    "EmailImplicitRoleAssignment",
    "EmbeddableMagicLinkFactor",
    "ImpersonatedFactor",
    "InternalServerError",
    "InvalidResponseError",
    "Member",
    "MemberRole",
    "MemberRoleSource",
    "MemberSession",
    "NotFoundError",
    "OAuthAccessTokenExchangeFactor",
    "OAuthExchangeFactor",
    "OAuthFactor",
    "OAuthRegistration",
    "Organization",
    "PermissionDeniedError",
    "PhoneNumberFactor",
    "RateLimitError",
    "RecoveryCodeFactor",
    "RequestValidationError",
    "RetiredEmail",
    "RetryPolicy",
    "SCIMAddress",
    "SCIMAttributes",
    "SCIMEnterpriseExtension",
    "SCIMGroup",
    "SCIMManager",
    "SCIMMultiValue",
    "SCIMName",
    "SCIMRegistration",
    "SSOFactor",
    "SSORegistration",
    "SendOutcome",
    "SmsAuthenticateRequest",
    "SmsAuthenticateResponse",
    "SmsSendRequest",
    "SmsSendResponse",
    "StytchB2BClient",
    "StytchError",
    "TrustedAuthTokenFactor",
    "WebAuthnFactor",
    "__version__",
]
