"""Hardening: the credential check, threads, odd input, and no half-made state."""

from __future__ import annotations

import asyncio
import hmac
import threading
from typing import Any

import pytest

from stytch_b2b_otp import StytchB2BClient
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import (
    AUTH_PATH,
    PHONE,
    SEND_PATH,
    MfaFlow,
    assert_error_body,
    raw_request,
)


async def test_credentials_are_compared_in_constant_time(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # as _server calls it
    await flow.send(sdk)
    assert len(compared) == 1
    assert compared[0][0] == compared[0][1]


def test_the_state_is_safe_to_seed_from_another_thread_while_requests_are_served() -> None:
    config = EmulatorConfig(sends_per_phone_per_hour=None)
    with Emulator(config=config) as emu:
        org = emu.create_organization(name="Acme")
        seeded: list[str] = []

        def seed() -> None:
            for i in range(200):
                member = emu.create_member(org.organization_id, email_address=f"s{i}@acme.test")
                seeded.append(member.member_id)

        async def send_all() -> None:
            members = [
                emu.create_member(
                    org.organization_id,
                    email_address=f"m{i}@acme.test",
                    mfa_phone_number=f"+1202555{i:04d}",
                ).member_id
                for i in range(200)
            ]
            async with emu.client() as client:
                await asyncio.gather(
                    *(
                        client.otps.sms.send(organization_id=org.organization_id, member_id=m)
                        for m in members
                    )
                )

        seeder = threading.Thread(target=seed)
        seeder.start()
        asyncio.run(send_all())
        seeder.join()
        assert len(emu.sent_messages) == 200
        assert len({m.member_id for m in emu.sent_messages}) == 200
        assert len(seeded) == 200
        assert all(emu.get_member(m).email_address.startswith("s") for m in seeded)


@pytest.mark.parametrize("path", [SEND_PATH, AUTH_PATH])
async def test_absurdly_nested_json_is_a_bad_request(emu: Emulator, path: str) -> None:
    reply = await raw_request(emu, path, data=b"[" * 50_000 + b"]" * 50_000)
    assert_error_body(reply, 400, "bad_request")


async def test_a_bug_in_the_emulator_still_answers_in_stytchs_format(
    emu: Emulator, flow: MfaFlow, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: Any) -> Any:
        raise ZeroDivisionError

    monkeypatch.setattr(emu, "handle", broken)
    body = {**flow.ids, "mfa_phone_number": PHONE}
    reply = await raw_request(emu, SEND_PATH, body)
    assert_error_body(reply, 500, "internal_server_error")
    assert "the emulator failed on POST /v1/b2b/otps/sms/send" in caplog.text


async def test_claims_of_exactly_4096_bytes_are_accepted_and_one_more_is_not(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    overhead = len('{"k":""}')
    body = {**flow.ids, "code": code, "intermediate_session_token": flow.ist}
    too_big = {**body, "session_custom_claims": {"k": "x" * (4097 - overhead)}}
    assert_error_body(await raw_request(emu, AUTH_PATH, too_big), 400, "custom_claims_too_large")
    just_fits = {**body, "session_custom_claims": {"k": "x" * (4096 - overhead)}}
    reply = await raw_request(emu, AUTH_PATH, just_fits)
    assert reply.status == 200
    assert len(reply.body["member_session"]["custom_claims"]["k"]) == 4096 - overhead


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"external_id": 5}, "external_id must be a non-empty string"),
        ({"name": 5}, "name must be a string"),
        ({"phone_verified": "no"}, "phone_verified must be true or false"),
        ({"roles": "admin"}, "roles must be a list of strings"),
        ({"roles": [5]}, "roles must be a list of non-empty strings"),
    ],
)
def test_a_refused_member_leaves_nothing_behind(
    emu: Emulator, options: dict[str, Any], message: str
) -> None:
    org = emu.create_organization(name="Acme")
    with pytest.raises(ValueError, match=message):
        emu.create_member(org.organization_id, email_address="ada@acme.test", **options)
    member = emu.create_member(org.organization_id, email_address="ada@acme.test")
    assert member.email_address == "ada@acme.test"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"external_id": ["x"]}, "external_id must be a non-empty string"),
        ({"allowed_mfa_methods": "sms_otp"}, "allowed_mfa_methods must be a list of strings"),
        ({"slug": "a"}, "slug must be 2 to 128 characters"),
        ({"mfa_policy": "SOMETIMES"}, "mfa_policy must be one of"),
    ],
)
def test_a_refused_organization_leaves_nothing_behind(
    emu: Emulator, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        emu.create_organization(name="Acme", **options)
    assert emu.create_organization(name="Acme").organization_slug == "acme"


def test_default_slugs_are_made_valid_and_unique(emu: Emulator) -> None:
    slugs = [
        emu.create_organization(name=name).organization_slug
        for name in ("A", "Acme", "Acme", "Ünï")
    ]
    assert slugs == ["a-org", "acme", "acme-2", "n"] or slugs[:3] == ["a-org", "acme", "acme-2"]
    with pytest.raises(ValueError, match="already exists"):
        emu.create_organization(name="Other", slug="acme")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"host": ""}, "host must not be empty"),
        ({"host": "0.0.0.0"}, "needs a secret of your own"),  # noqa: S104
    ],
)
def test_serving_beyond_loopback_needs_a_secret_of_ones_own(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator(**options)
    Emulator(secret="my-own-secret", host="0.0.0.0")  # noqa: S104 (constructed, not started)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"endpoint": "sned", "status": 500}, "endpoint must be one of send, authenticate"),
        ({"endpoint": "send", "delay": 601}, "delay must be a number of seconds from 0 to 600"),
        ({"endpoint": "send", "delay": float("inf")}, "delay must be a number of seconds"),
    ],
)
def test_faults_that_would_hang_or_cannot_apply_are_refused(
    emu: Emulator, fault: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        emu.inject_fault(**fault)
