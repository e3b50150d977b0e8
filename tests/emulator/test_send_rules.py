"""``POST /v1/b2b/otps/sms/send`` through the SDK: who may be texted, where, and what lands
in the outbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

import pytest

from stytch_b2b_otp import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    StytchB2BClient,
)
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig
from tests.conftest import MemberIds
from tests.emulator.conftest import (
    PHONE,
    SECOND_PHONE,
    START,
    Emulators,
    MfaFlow,
    expect_error,
    new_flow,
)


@pytest.mark.parametrize("endpoint", ["send", "authenticate"])
async def test_a_wrong_secret_is_refused_before_the_emulator_processes_anything(
    emu: Emulator, flow: MfaFlow, endpoint: str
) -> None:
    async with StytchB2BClient(
        emu.project_id, "secret-test-not-the-right-one", base_url=emu.base_url
    ) as intruder:
        call = (
            intruder.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)
            if endpoint == "send"
            else intruder.otps.sms.authenticate(
                **flow.ids, code="123456", intermediate_session_token=flow.ist
            )
        )
        error = await expect_error(AuthenticationError, "unauthorized_credentials", call)
    assert error.status_code == 401
    assert emu.calls("send") == emu.calls("authenticate") == 0
    assert emu.sent_messages == []
    assert emu.get_member(flow.member.member_id).mfa_phone_number == ""


@pytest.mark.parametrize("locator", ["organization_id", "slug", "external_id"])
async def test_an_organization_is_found_by_id_slug_or_external_id(
    emu: Emulator, sdk: StytchB2BClient, locator: str
) -> None:
    org = emu.create_organization(name="Globex", slug="globex", external_id="crm-42")
    member = emu.create_member(org.organization_id, email_address="hank@globex.test")
    given = {"organization_id": org.organization_id, "slug": "globex", "external_id": "crm-42"}
    reply = await sdk.otps.sms.send(
        organization_id=given[locator], member_id=member.member_id, mfa_phone_number=PHONE
    )
    assert reply.organization.organization_id == org.organization_id
    [message] = emu.sent_messages
    assert message.organization_id == org.organization_id


@pytest.mark.parametrize("locator", ["member_id", "external_id"])
async def test_a_member_is_found_by_id_or_external_id(
    emu: Emulator, sdk: StytchB2BClient, locator: str
) -> None:
    org = emu.create_organization(name="Globex")
    member = emu.create_member(
        org.organization_id, email_address="hank@globex.test", external_id="hr-7"
    )
    given = {"member_id": member.member_id, "external_id": "hr-7"}
    reply = await sdk.otps.sms.send(
        organization_id=org.organization_id, member_id=given[locator], mfa_phone_number=PHONE
    )
    assert reply.member_id == member.member_id
    assert emu.sent_messages[0].member_id == member.member_id


async def test_an_unknown_organization_is_not_found(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    call = sdk.otps.sms.send(
        organization_id="organization-test-nobody",
        member_id=flow.member.member_id,
        mfa_phone_number=PHONE,
    )
    error = await expect_error(NotFoundError, "organization_not_found", call)
    assert error.status_code == 404
    assert emu.sent_messages == []


@pytest.mark.parametrize("who", ["unknown", "member of another organization", "their external id"])
async def test_an_unknown_member_or_one_of_another_organization_is_not_found(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow, who: str
) -> None:
    other_org = emu.create_organization(name="Globex")
    stranger = emu.create_member(
        other_org.organization_id, email_address="hank@globex.test", external_id="hr-7"
    )
    member_id = {
        "unknown": "member-test-nobody",
        "member of another organization": stranger.member_id,
        "their external id": "hr-7",
    }[who]
    call = sdk.otps.sms.send(
        organization_id=flow.org.organization_id, member_id=member_id, mfa_phone_number=PHONE
    )
    await expect_error(NotFoundError, "member_not_found", call)
    assert emu.sent_messages == []
    assert emu.get_member(stranger.member_id).mfa_phone_number == ""


async def test_a_member_without_a_phone_gets_the_number_linked_unverified(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    reply = await sdk.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)
    assert reply.member.mfa_phone_number == PHONE
    assert reply.member.mfa_phone_number_verified is False
    member = emu.get_member(flow.member.member_id)
    assert (member.mfa_phone_number, member.mfa_phone_number_verified) == (PHONE, False)
    assert [m.phone_number for m in emu.sent_messages] == [PHONE]


async def test_a_member_with_a_phone_is_texted_there_with_or_without_the_number(
    emu: Emulator, sdk: StytchB2BClient
) -> None:
    flow = new_flow(emu, mfa_phone_number=PHONE)
    await sdk.otps.sms.send(**flow.ids)
    await sdk.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)
    assert [m.phone_number for m in emu.sent_messages] == [PHONE, PHONE]


async def test_a_number_other_than_the_members_own_is_refused_and_nothing_is_sent(
    emu: Emulator, sdk: StytchB2BClient
) -> None:
    flow = new_flow(emu, mfa_phone_number=PHONE)
    call = sdk.otps.sms.send(**flow.ids, mfa_phone_number=SECOND_PHONE)
    error = await expect_error(BadRequestError, "duplicate_member_phone_number_for_member", call)
    assert error.status_code == 400
    assert emu.sent_messages == []
    assert emu.get_member(flow.member.member_id).mfa_phone_number == PHONE


async def test_no_phone_on_the_member_and_none_given_is_refused(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    call = sdk.otps.sms.send(**flow.ids)
    await expect_error(NotFoundError, "member_phone_number_not_found", call)
    assert emu.sent_messages == []


async def test_another_members_number_is_refused_within_the_organization_only(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    emu.create_member(
        flow.org.organization_id, email_address="bob@acme.test", mfa_phone_number=PHONE
    )
    call = sdk.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)
    await expect_error(BadRequestError, "duplicate_member_phone_number", call)
    assert emu.sent_messages == []
    assert emu.get_member(flow.member.member_id).mfa_phone_number == ""

    elsewhere = new_flow(emu, slug="globex", email="ada@globex.test")
    await sdk.otps.sms.send(**elsewhere.ids, mfa_phone_number=PHONE)
    assert [m.member_id for m in emu.sent_messages] == [elsewhere.member.member_id]


@pytest.mark.parametrize(
    ("phone", "allowed", "accepted"),
    [
        ("+12025550162", None, True),  # US
        ("+14165550162", None, True),  # Canada (Toronto)
        ("+12425550162", None, False),  # Bahamas: +1, but not the US
        ("+14415550162", None, False),  # Bermuda: +1, but not the US
        ("+447700900123", None, False),  # UK: off by default
        ("+447700900123", {"US", "CA", "GB"}, True),
        ("+12425550162", {"US", "CA", "GB"}, False),
        ("+15555550100", {"US", "CA", "BS"}, False),  # +1 with an area code of no country
    ],
)
async def test_sms_goes_only_to_allowed_countries_decided_by_parsing_the_number(
    emulators: Emulators, phone: str, allowed: set[str] | None, accepted: bool
) -> None:
    config = EmulatorConfig() if allowed is None else EmulatorConfig(allowed_countries=allowed)
    emu = await emulators.start(config=config)
    client = await emulators.client(emu)
    flow = new_flow(emu)
    if accepted:
        await client.otps.sms.send(**flow.ids, mfa_phone_number=phone)
        assert [m.phone_number for m in emu.sent_messages] == [phone]
        return
    call = client.otps.sms.send(**flow.ids, mfa_phone_number=phone)
    await expect_error(BadRequestError, "invalid_phone_number_country_code", call)
    assert emu.sent_messages == []
    assert emu.get_member(flow.member.member_id).mfa_phone_number == ""


def _ist_of_colleague(flow: MfaFlow) -> dict[str, str]:
    colleague = flow.emu.create_member(flow.org.organization_id, email_address="bob@acme.test")
    ist = flow.emu.create_intermediate_session(flow.org.organization_id, colleague.member_id)
    return {"intermediate_session_token": ist}


def _ist_of_another_organization(flow: MfaFlow) -> dict[str, str]:
    # The member looked up is in the requested organization; only the IST is foreign.
    other = new_flow(flow.emu, slug="globex", email="hank@globex.test")
    return {"intermediate_session_token": other.ist}


def _session_of_colleague(flow: MfaFlow) -> dict[str, str]:
    colleague = flow.emu.create_member(flow.org.organization_id, email_address="bob@acme.test")
    token, _ = flow.emu.create_session(flow.org.organization_id, colleague.member_id)
    return {"session_token": token}


@pytest.mark.parametrize(
    ("arguments", "error_class", "error_type"),
    [
        (_ist_of_colleague, BadRequestError, "member_session_member_id_mismatch"),
        (
            _ist_of_another_organization,
            BadRequestError,
            "invalid_intermediate_session_token_for_organization",
        ),
        (
            lambda _: {"intermediate_session_token": "ist-nobody-issued"},
            NotFoundError,
            "intermediate_session_not_found",
        ),
        (_session_of_colleague, BadRequestError, "member_session_member_id_mismatch"),
        (lambda _: {"session_token": "no-such-session"}, NotFoundError, "session_not_found"),
    ],
    ids=[
        "ist-of-colleague",
        "ist-of-other-org",
        "unknown-ist",
        "session-of-colleague",
        "unknown-session",
    ],
)
async def test_a_session_argument_on_send_must_belong_to_the_member(
    emu: Emulator,
    sdk: StytchB2BClient,
    flow: MfaFlow,
    arguments: Callable[[MfaFlow], dict[str, str]],
    error_class: type[BadRequestError] | type[NotFoundError],
    error_type: str,
) -> None:
    call = sdk.otps.sms.send(**flow.ids, mfa_phone_number=PHONE, **arguments(flow))
    await expect_error(error_class, error_type, call)
    assert emu.sent_messages == []
    assert emu.get_member(flow.member.member_id).mfa_phone_number == ""


async def test_a_verified_member_needs_a_session_argument_to_be_texted(
    emu: Emulator, sdk: StytchB2BClient
) -> None:
    flow = new_flow(emu, mfa_phone_number=PHONE, phone_verified=True)
    call = sdk.otps.sms.send(**flow.ids)
    error = await expect_error(AuthenticationError, "insufficient_factors", call)
    assert error.status_code == 401
    assert emu.sent_messages == []

    await sdk.otps.sms.send(**flow.ids, intermediate_session_token=flow.ist)
    token, jwt = emu.create_session(flow.org.organization_id, flow.member.member_id)
    await sdk.otps.sms.send(**flow.ids, session_token=token)
    await sdk.otps.sms.send(**flow.ids, session_jwt=jwt)
    assert len(emu.sent_messages) == 3


async def test_the_anti_bypass_rule_can_be_turned_off(emulators: Emulators) -> None:
    emu = await emulators.start(config=EmulatorConfig(require_session_for_verified_members=False))
    client = await emulators.client(emu)
    flow = new_flow(emu, mfa_phone_number=PHONE, phone_verified=True)
    await client.otps.sms.send(**flow.ids)
    assert [m.member_id for m in emu.sent_messages] == [flow.member.member_id]


@pytest.mark.parametrize("status", ["deleted", "pending", "invited"])
async def test_only_active_members_are_texted(
    emu: Emulator, sdk: StytchB2BClient, status: Literal["deleted", "pending", "invited"]
) -> None:
    org = emu.create_organization(name="Acme")
    member = emu.create_member(
        org.organization_id,
        email_address="ada@acme.test",
        status=status,
    )
    call = sdk.otps.sms.send(
        organization_id=org.organization_id, member_id=member.member_id, mfa_phone_number=PHONE
    )
    error = await expect_error(BadRequestError, "action_available_only_for_active_members", call)
    assert error.status_code == 400
    assert emu.sent_messages == []
    assert emu.get_member(member.member_id).mfa_phone_number == ""


async def test_a_primary_login_activates_a_pending_member(
    emu: Emulator, sdk: StytchB2BClient
) -> None:
    flow = new_flow(emu, status="invited")
    assert emu.get_member(flow.member.member_id).status == "active"
    await flow.send(sdk)
    assert len(emu.sent_messages) == 1


@pytest.mark.parametrize(
    ("locale", "recorded", "text"),
    [
        (None, "en", "Your verification code is {code}."),
        ("en", "en", "Your verification code is {code}."),
        ("es", "es", "Tu código de verificación es {code}."),
        ("fr", "fr", "Votre code de vérification est {code}."),
        ("pt-br", "pt-br", "Seu código de verificação é {code}."),
        ("de-DE", "de-DE", "Your verification code is {code}."),  # accepted, English copy
    ],
)
async def test_the_sms_lands_in_the_outbox_localised(
    emu: Emulator,
    sdk: StytchB2BClient,
    flow: MfaFlow,
    locale: str | None,
    recorded: str,
    text: str,
) -> None:
    await sdk.otps.sms.send(**flow.ids, mfa_phone_number=PHONE, locale=locale)
    [message] = emu.sent_messages
    assert re.fullmatch(r"[0-9]{6}", message.code)
    assert message.phone_number == PHONE
    assert message.member_id == flow.member.member_id
    assert message.organization_id == flow.org.organization_id
    assert message.locale == recorded
    assert message.text == text.format(code=message.code)
    assert message.sent_at == START
    assert emu.last_code(flow.member.member_id) == message.code


async def test_last_code_without_any_sms_is_a_lookup_error(emu: Emulator, flow: MfaFlow) -> None:
    with pytest.raises(LookupError, match="no SMS"):
        emu.last_code(flow.member.member_id)


@pytest.mark.parametrize(
    ("allowed", "breakglass", "accepted"),
    [
        (("totp",), False, False),
        ((), False, False),
        (("sms_otp", "totp"), False, True),
        (("totp",), True, True),  # RESTRICTED does not apply to break-glass members
    ],
)
async def test_an_organization_restricting_mfa_methods_refuses_sms(
    emu: Emulator,
    sdk: StytchB2BClient,
    allowed: tuple[str, ...],
    breakglass: bool,
    accepted: bool,
) -> None:
    org = emu.create_organization(
        name="Initech", mfa_methods="RESTRICTED", allowed_mfa_methods=allowed
    )
    member = emu.create_member(
        org.organization_id, email_address="peter@initech.test", is_breakglass=breakglass
    )
    ids: MemberIds = {"organization_id": org.organization_id, "member_id": member.member_id}
    ist = emu.create_intermediate_session(**ids)
    send = sdk.otps.sms.send(**ids, mfa_phone_number=PHONE, intermediate_session_token=ist)
    if accepted:
        await send
        assert len(emu.sent_messages) == 1
        return
    await expect_error(
        PermissionDeniedError, "operation_restricted_by_organization_mfa_methods", send
    )
    assert emu.sent_messages == []
    authenticate = sdk.otps.sms.authenticate(**ids, code="123456", intermediate_session_token=ist)
    await expect_error(
        PermissionDeniedError, "operation_restricted_by_organization_mfa_methods", authenticate
    )
