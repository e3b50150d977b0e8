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

import importlib
from typing import TYPE_CHECKING, Any

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
from stytch_b2b_otp._requests import SmsAuthenticateRequest, SmsSendRequest
from stytch_b2b_otp._retry import RetryPolicy
from stytch_b2b_otp._version import __version__

if TYPE_CHECKING:  # loaded on first use, by __getattr__ below
    from stytch_b2b_otp._bulk import SendOutcome
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
    from stytch_b2b_otp._responses import (
        DeviceAttributeDetails,
        DeviceInfo,
        SmsAuthenticateResponse,
        SmsSendResponse,
    )
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


# The reply models (and bulk outcomes) cost most of the package's import time, in
# attrs class creation; they are imported when first named, or with the first reply.
_LAZY: dict[str, str] = {
    "ActiveSCIMConnection": "_organization",
    "ActiveSSOConnection": "_organization",
    "AuthenticationFactor": "_session",
    "AuthenticatorAppFactor": "_session",
    "BiometricFactor": "_session",
    "CryptoWalletFactor": "_session",
    "CustomRole": "_organization",
    "CustomRolePermission": "_organization",
    "DeviceAttributeDetails": "_responses",
    "DeviceInfo": "_responses",
    "EmailFactor": "_session",
    "EmailImplicitRoleAssignment": "_organization",
    "EmbeddableMagicLinkFactor": "_session",
    "ImpersonatedFactor": "_session",
    "Member": "_member",
    "MemberRole": "_member",
    "MemberRoleSource": "_member",
    "MemberSession": "_session",
    "OAuthAccessTokenExchangeFactor": "_session",
    "OAuthExchangeFactor": "_session",
    "OAuthFactor": "_session",
    "OAuthRegistration": "_member",
    "Organization": "_organization",
    "PhoneNumberFactor": "_session",
    "RecoveryCodeFactor": "_session",
    "RetiredEmail": "_member",
    "SCIMAddress": "_scim",
    "SCIMAttributes": "_scim",
    "SCIMEnterpriseExtension": "_scim",
    "SCIMGroup": "_scim",
    "SCIMManager": "_scim",
    "SCIMMultiValue": "_scim",
    "SCIMName": "_scim",
    "SCIMRegistration": "_member",
    "SSOFactor": "_session",
    "SSORegistration": "_member",
    "SendOutcome": "_bulk",
    "SmsAuthenticateResponse": "_responses",
    "SmsSendResponse": "_responses",
    "TrustedAuthTokenFactor": "_session",
    "WebAuthnFactor": "_session",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
