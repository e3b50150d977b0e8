"""Serving in the loop or from a thread, what ``repr`` shows, live ids, the models agreeing
with the emulator field for field, and the import guard for the ``emulator`` extra."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from stytch_b2b_otp import (
    APIConnectionError,
    NotFoundError,
    SmsAuthenticateResponse,
    SmsSendResponse,
    StytchB2BClient,
)
from stytch_b2b_otp._converter import StructureError, make_converter, structure
from stytch_b2b_otp.emulator import Clock, Emulator, EmulatorConfig
from tests.emulator.conftest import (
    FAST,
    PHONE,
    START,
    Emulators,
    MfaFlow,
    expect_error,
    new_flow,
    wrong_code,
)

STRICT = make_converter(strict=True)
LOCAL_URL = re.compile(r"http://127\.0\.0\.1:[0-9]+")


async def _complete_mfa(emu: Emulator) -> None:
    flow = new_flow(emu, mfa_policy="REQUIRED_FOR_ALL")
    async with emu.client(retry=FAST) as client:
        code = await flow.send(client)
        reply = await client.otps.sms.authenticate(
            **flow.ids, code=code, intermediate_session_token=flow.ist
        )
    assert reply.member.mfa_enrolled is True


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "stytch-emulator"]


async def test_async_with_serves_in_the_running_loop_until_closed() -> None:
    emu = Emulator()
    async with emu:
        assert LOCAL_URL.fullmatch(emu.base_url)
        assert emu.jwks_url == f"{emu.base_url}/v1/b2b/sessions/jwks/{emu.project_id}"
        await _complete_mfa(emu)
    with pytest.raises(RuntimeError, match="not started"):
        _ = emu.base_url
    assert len(emu.sent_messages) == 1  # the state outlives the server


def test_with_serves_from_a_thread_for_synchronous_tests() -> None:
    with Emulator() as emu:
        assert LOCAL_URL.fullmatch(emu.base_url)
        assert len(_emulator_threads()) == 1
        asyncio.run(_complete_mfa(emu))  # any other loop may talk to it
    assert _emulator_threads() == []
    with pytest.raises(RuntimeError):
        _ = emu.base_url


async def test_with_serves_from_a_thread_to_a_client_in_the_tests_loop() -> None:
    with Emulator() as emu:
        await _complete_mfa(emu)
        assert len(emu.sent_messages) == 1
    assert _emulator_threads() == []


@pytest.mark.parametrize("attribute", ["base_url", "jwks_url"])
def test_urls_before_start_are_a_runtime_error(attribute: str) -> None:
    with pytest.raises(RuntimeError, match="not started"):
        getattr(Emulator(), attribute)


async def test_close_is_idempotent_and_start_twice_is_refused() -> None:
    emu = Emulator()
    await emu.close()  # never started: nothing to do
    await emu.start()
    with pytest.raises(RuntimeError, match="already serving"):
        await emu.start()
    await emu.close()
    await emu.close()


async def test_a_closed_emulator_refuses_connections(emu: Emulator, flow: MfaFlow) -> None:
    base_url = emu.base_url
    await emu.close()
    async with StytchB2BClient(emu.project_id, emu.secret, base_url=base_url, retry=FAST) as late:
        with pytest.raises(APIConnectionError) as caught:
            await late.otps.sms.send(**flow.ids, mfa_phone_number=PHONE)
    assert caught.value.request_sent is False
    assert emu.sent_messages == []


async def test_repr_shows_where_it_serves_but_never_the_secret() -> None:
    emu = Emulator(secret="secret-test-hunter2-hunter2")
    assert repr(emu) == f"Emulator(project_id={emu.project_id!r}, base_url='not started')"
    async with emu:
        assert emu.base_url in repr(emu)
        assert "hunter2" not in repr(emu)
        assert "hunter2" not in repr(emu.client())


async def test_a_sent_messages_repr_hides_the_code_and_masks_the_number(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    await flow.send(sdk)
    [message] = emu.sent_messages
    shown = repr(message)
    assert message.code not in shown
    assert PHONE not in shown
    assert message.text not in shown
    assert flow.member.member_id in shown


async def test_a_live_project_gets_live_ids(emulators: Emulators) -> None:
    emu = await emulators.start(project_id="project-live-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
    client = await emulators.client(emu)
    flow = new_flow(emu)
    assert flow.org.organization_id.startswith("organization-live-")
    assert flow.member.member_id.startswith("member-live-")
    code = await flow.send(client)
    reply = await client.otps.sms.authenticate(
        **flow.ids, code=code, intermediate_session_token=flow.ist
    )
    assert reply.request_id.startswith("request-id-live-")
    assert reply.member_session is not None
    assert reply.member_session.member_session_id.startswith("member-session-live-")
    assert emu.jwks()["keys"][0]["kid"].startswith("jwk-live-")
    call = client.otps.sms.send(
        organization_id=flow.org.organization_id, member_id="member-live-nobody"
    )
    error = await expect_error(NotFoundError, "member_not_found", call)
    assert error.request_id is not None
    assert error.request_id.startswith("request-id-live-")


async def test_send_and_authenticate_replies_fit_the_models_field_for_field(
    emu: Emulator, sdk: StytchB2BClient
) -> None:
    flow = new_flow(emu, mfa_policy="REQUIRED_FOR_ALL", external_id="hr-1", roles=("admin",))
    sent = await sdk.otps.sms.send(
        **flow.ids, mfa_phone_number=PHONE, locale="es", intermediate_session_token=flow.ist
    )
    code = emu.last_code(flow.member.member_id)
    done = await sdk.otps.sms.authenticate(
        **flow.ids,
        code=code,
        intermediate_session_token=flow.ist,
        session_custom_claims={"plan": "pro"},
    )
    step_code = await flow.send(
        sdk,
        mfa_phone_number=None,
        intermediate_session_token=None,
        session_token=done.session_token,
    )
    stepped = await sdk.otps.sms.authenticate(
        **flow.ids, code=step_code, session_jwt=done.session_jwt, session_duration_minutes=30
    )
    # Unknown keys are errors under the strict converter: nothing the emulator sends is
    # missing from the models, and nothing the models require is missing from the replies.
    assert structure(sent.raw, SmsSendResponse, STRICT) == sent
    with pytest.raises(StructureError, match="surprise"):  # the converter is strict indeed
        structure({**sent.raw, "surprise": 1}, SmsSendResponse, STRICT)
    for reply in (done, stepped):
        strict = structure(reply.raw, SmsAuthenticateResponse, STRICT)
        assert strict == reply
        assert strict.member_session == reply.member_session


async def test_a_locked_members_reply_fits_the_models_too(
    emu: Emulator, sdk: StytchB2BClient, flow: MfaFlow
) -> None:
    code = await flow.send(sdk)
    for _ in range(10):
        call = sdk.otps.sms.authenticate(
            **flow.ids, code=wrong_code(code), intermediate_session_token=flow.ist
        )
        await expect_error(NotFoundError, "otp_code_not_found", call)
    reply = await sdk.otps.sms.send(**flow.ids)  # sending is not locked, only authenticating
    member = structure(reply.raw, SmsSendResponse, STRICT).member
    assert member.is_locked is True
    assert member.lock_expires_at == START + timedelta(hours=1)


def test_empty_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Emulator(project_id="")
    with pytest.raises(ValueError, match="must not be empty"):
        Emulator(secret="")


def test_the_clock_is_aware_and_never_goes_back() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Clock(start=datetime(2026, 1, 1))  # naive on purpose
    clock = Clock(start=START)
    clock.advance(90)
    assert clock.now() == START + timedelta(seconds=90)
    with pytest.raises(ValueError, match="from 0 to 100 years"):
        clock.advance(-1)
    wall = Clock()
    assert abs(wall.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"code_ttl_seconds": 0}, "code_ttl_seconds must be a positive integer"),
        ({"lock_threshold": True}, "lock_threshold must be a positive integer"),
        ({"lock_seconds": 1.5}, "lock_seconds must be a positive integer"),
        ({"sends_per_phone_per_hour": 0}, "sends_per_phone_per_hour must be"),
        ({"allowed_countries": "US"}, "not a str"),
        ({"allowed_countries": {"USA"}}, "two-letter"),
        ({"reserved_claims": "warn"}, "reserved_claims"),
    ],
)
def test_an_impossible_config_is_a_value_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EmulatorConfig(**options)


def test_allowed_countries_are_normalised_to_upper_case() -> None:
    assert EmulatorConfig(allowed_countries=["us", "gb"]).allowed_countries == {"US", "GB"}


_WITHOUT_EXTRA = """
import json, sys
results = {}
for missing in ("phonenumbers", "jwt", "cryptography"):
    for name in [n for n in sys.modules if n.startswith(("stytch_b2b_otp.emulator", missing))]:
        del sys.modules[name]
    sys.modules[missing] = None
    try:
        import stytch_b2b_otp.emulator
    except ImportError as exc:
        results[missing] = {"message": str(exc), "name": exc.name}
    del sys.modules[missing]
print(json.dumps(results))
"""


def test_importing_without_the_extra_says_how_to_install_it() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _WITHOUT_EXTRA],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    results = json.loads(completed.stdout)
    assert set(results) == {"phonenumbers", "jwt", "cryptography"}
    for missing, result in results.items():
        assert result["name"] == missing
        assert "'emulator' extra" in result["message"]
        assert f"({missing} is missing)" in result["message"]
        assert "pip install 'stytch-b2b-otp[emulator]'" in result["message"]
