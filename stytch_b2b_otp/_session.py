"""The B2B ``MemberSession`` and its authentication factors."""

from datetime import datetime
from typing import Any

import attrs

from stytch_b2b_otp._fields import empty_str, empty_tuple, lenient
from stytch_b2b_otp._redact import mask_phone

__all__ = [
    "AuthenticationFactor",
    "AuthenticatorAppFactor",
    "BiometricFactor",
    "CryptoWalletFactor",
    "EmailFactor",
    "EmbeddableMagicLinkFactor",
    "ImpersonatedFactor",
    "MemberSession",
    "OAuthAccessTokenExchangeFactor",
    "OAuthExchangeFactor",
    "OAuthFactor",
    "PhoneNumberFactor",
    "RecoveryCodeFactor",
    "SSOFactor",
    "TrustedAuthTokenFactor",
    "WebAuthnFactor",
]


@attrs.frozen(kw_only=True)
class EmailFactor:
    """An email factor (magic link, email OTP)."""

    email_id: str
    email_address: str


@attrs.frozen(kw_only=True)
class PhoneNumberFactor:
    """A phone factor: the one an SMS OTP authenticate adds."""

    phone_id: str
    phone_number: str = attrs.field(repr=mask_phone)


@attrs.frozen(kw_only=True)
class OAuthFactor:
    """An OAuth login with one provider (Google, Microsoft, GitHub...)."""

    id: str
    provider_subject: str
    email_id: str | None = None


@attrs.frozen(kw_only=True)
class OAuthExchangeFactor:
    """An OAuth token exchanged for a session (Google, GitHub, Slack, HubSpot)."""

    email_id: str


@attrs.frozen(kw_only=True)
class SSOFactor:
    """A SAML or OIDC single sign-on."""

    id: str
    provider_id: str
    external_id: str = empty_str()


@attrs.frozen(kw_only=True)
class WebAuthnFactor:
    """A passkey or security key."""

    webauthn_registration_id: str
    domain: str = empty_str()
    user_agent: str | None = None


@attrs.frozen(kw_only=True)
class AuthenticatorAppFactor:
    """A TOTP authenticator app."""

    totp_id: str


@attrs.frozen(kw_only=True)
class RecoveryCodeFactor:
    """A TOTP recovery code."""

    totp_recovery_code_id: str


@attrs.frozen(kw_only=True)
class CryptoWalletFactor:
    """A crypto wallet signature."""

    crypto_wallet_id: str
    crypto_wallet_address: str
    crypto_wallet_type: str


@attrs.frozen(kw_only=True)
class EmbeddableMagicLinkFactor:
    """An embeddable magic link."""

    embedded_id: str


@attrs.frozen(kw_only=True)
class BiometricFactor:
    """A mobile biometric registration."""

    biometric_registration_id: str


@attrs.frozen(kw_only=True)
class ImpersonatedFactor:
    """A session created by an impersonating dashboard user."""

    impersonator_id: str
    impersonator_email_address: str


@attrs.frozen(kw_only=True)
class OAuthAccessTokenExchangeFactor:
    """An OAuth access token exchanged by a connected app."""

    client_id: str


@attrs.frozen(kw_only=True)
class TrustedAuthTokenFactor:
    """A trusted authentication token."""

    token_id: str


# Not slotted: a factor carries 5 or 6 of its 46 fields, and msgspec (the fast path)
# fills the absent ones' defaults into an instance dict in about half the instructions
# it takes through slots (measured with callgrind on the authenticate fixture).
@attrs.frozen(kw_only=True, slots=False)
class AuthenticationFactor:
    """One way the member proved who they are in this session.

    An SMS OTP authenticate adds ``type="otp"``, ``delivery_method="sms"`` with a
    ``phone_number_factor``. ``type`` and ``delivery_method`` are kept as the strings
    Stytch sent, so a factor Stytch adds later never breaks a reply. Exactly one of
    the ``*_factor`` attributes is usually set, matching the factor's kind.
    """

    type: str
    delivery_method: str
    last_authenticated_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    email_factor: EmailFactor | None = lenient()
    phone_number_factor: PhoneNumberFactor | None = lenient()
    google_oauth_factor: OAuthFactor | None = lenient()
    microsoft_oauth_factor: OAuthFactor | None = lenient()
    apple_oauth_factor: OAuthFactor | None = lenient()
    webauthn_factor: WebAuthnFactor | None = lenient()
    authenticator_app_factor: AuthenticatorAppFactor | None = lenient()
    github_oauth_factor: OAuthFactor | None = lenient()
    recovery_code_factor: RecoveryCodeFactor | None = lenient()
    facebook_oauth_factor: OAuthFactor | None = lenient()
    crypto_wallet_factor: CryptoWalletFactor | None = lenient()
    amazon_oauth_factor: OAuthFactor | None = lenient()
    bitbucket_oauth_factor: OAuthFactor | None = lenient()
    coinbase_oauth_factor: OAuthFactor | None = lenient()
    discord_oauth_factor: OAuthFactor | None = lenient()
    figma_oauth_factor: OAuthFactor | None = lenient()
    git_lab_oauth_factor: OAuthFactor | None = lenient()
    instagram_oauth_factor: OAuthFactor | None = lenient()
    linked_in_oauth_factor: OAuthFactor | None = lenient()
    shopify_oauth_factor: OAuthFactor | None = lenient()
    slack_oauth_factor: OAuthFactor | None = lenient()
    snapchat_oauth_factor: OAuthFactor | None = lenient()
    spotify_oauth_factor: OAuthFactor | None = lenient()
    steam_oauth_factor: OAuthFactor | None = lenient()
    tik_tok_oauth_factor: OAuthFactor | None = lenient()
    twitch_oauth_factor: OAuthFactor | None = lenient()
    twitter_oauth_factor: OAuthFactor | None = lenient()
    embeddable_magic_link_factor: EmbeddableMagicLinkFactor | None = lenient()
    biometric_factor: BiometricFactor | None = lenient()
    saml_sso_factor: SSOFactor | None = lenient()
    oidc_sso_factor: SSOFactor | None = lenient()
    salesforce_oauth_factor: OAuthFactor | None = lenient()
    yahoo_oauth_factor: OAuthFactor | None = lenient()
    hubspot_oauth_factor: OAuthFactor | None = lenient()
    slack_oauth_exchange_factor: OAuthExchangeFactor | None = lenient()
    hubspot_oauth_exchange_factor: OAuthExchangeFactor | None = lenient()
    github_oauth_exchange_factor: OAuthExchangeFactor | None = lenient()
    google_oauth_exchange_factor: OAuthExchangeFactor | None = lenient()
    impersonated_factor: ImpersonatedFactor | None = lenient()
    oauth_access_token_exchange_factor: OAuthAccessTokenExchangeFactor | None = lenient()
    trusted_auth_token_factor: TrustedAuthTokenFactor | None = lenient()


@attrs.frozen(kw_only=True)
class MemberSession:
    """A member's session: who, in which organization, until when, proven how.

    Attributes:
        authentication_factors: Every factor of the session; after an MFA step,
            the primary factor (e.g. an email magic link) and the SMS OTP.
        roles: Role ids the member holds in this session.
        custom_claims: Claims set with ``session_custom_claims``.
    """

    member_session_id: str
    member_id: str
    started_at: datetime
    last_accessed_at: datetime
    expires_at: datetime
    authentication_factors: tuple[AuthenticationFactor, ...] = empty_tuple()
    organization_id: str
    roles: tuple[str, ...] = empty_tuple()
    organization_slug: str
    custom_claims: dict[str, Any] | None = None
