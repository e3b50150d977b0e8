"""The aiohttp example, end to end against the emulator (pytest with pytest-asyncio)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any, TypeAlias

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp_app import create_app

from stytch_b2b_otp.emulator import Emulator, EmulatorConfig

PHONE = "+12025550162"
UNAVAILABLE = {"detail": "Sign-in is unavailable right now. Try again in a moment."}


@pytest.fixture
def stytch_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(lock_threshold=3)  # lock a member after 3 wrong codes


# A string: TestClient is not subscriptable at runtime in older aiohttp.
Client: TypeAlias = "TestClient[web.Request, web.Application]"


@pytest.fixture
async def http(
    stytch_emulator_env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Client]:
    """The app, pointed at the emulator by the environment, served on 127.0.0.1."""
    monkeypatch.setenv("STYTCH_TIMEOUT", "0.5")  # so that a slow reply times out quickly
    # The server runs the app's cleanup contexts: its client is made, then closed.
    async with TestClient(TestServer(create_app())) as http:
        yield http


@pytest.fixture
def login(stytch_emulator: Emulator) -> dict[str, str]:
    """A member who has passed the primary login and now owes an SMS code."""
    org = stytch_emulator.create_organization(name="Acme", mfa_policy="REQUIRED_FOR_ALL")
    member = stytch_emulator.create_member(org.organization_id, email_address="ada@acme.test")
    return {
        "organization_id": org.organization_id,
        "member_id": member.member_id,
        "intermediate_session_token": stytch_emulator.create_intermediate_session(
            org.organization_id, member.member_id
        ),
    }


async def send_code(http: Client, login: dict[str, str], emu: Emulator) -> str:
    sent = await http.post("/mfa/sms/send", json={**login, "mfa_phone_number": PHONE})
    assert await sent.json() == {"sent": True}
    return emu.last_code(login["member_id"])  # the SMS went to the emulator's outbox


async def test_a_member_completes_mfa(
    http: Client,
    login: dict[str, str],
    stytch_emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    code = await send_code(http, login, stytch_emulator)

    verified = await http.post("/mfa/sms/verify", json={**login, "code": code})

    assert verified.status == 200
    assert await verified.json() == {"member_id": login["member_id"]}
    cookie = SimpleCookie(verified.headers["set-cookie"])["session"]
    assert cookie["httponly"]
    assert cookie["secure"]
    assert stytch_emulator.get_member(login["member_id"]).mfa_phone_number_verified
    body = await verified.text()
    for secret in (code, login["intermediate_session_token"], cookie.value):
        assert secret not in body
        assert secret not in caplog.text


async def test_a_wrong_code_is_the_users_problem(
    http: Client, login: dict[str, str], stytch_emulator: Emulator
) -> None:
    code = await send_code(http, login, stytch_emulator)
    wrong = "000000" if code != "000000" else "111111"

    refused = await http.post("/mfa/sms/verify", json={**login, "code": wrong})
    assert refused.status == 401
    assert await refused.json() == {"detail": "That code is not right. Check it and try again."}

    retried = await http.post("/mfa/sms/verify", json={**login, "code": code})
    assert retried.status == 200  # a wrong code does not end the sign-in


async def test_an_expired_code_asks_for_a_new_one(
    http: Client, login: dict[str, str], stytch_emulator: Emulator
) -> None:
    code = await send_code(http, login, stytch_emulator)
    stytch_emulator.advance_time(121)  # codes last 2 minutes

    refused = await http.post("/mfa/sms/verify", json={**login, "code": code})

    assert refused.status == 401
    assert await refused.json() == {"detail": "That code has expired. Ask for a new one."}


async def test_a_code_that_is_not_six_digits_never_reaches_stytch(
    http: Client, login: dict[str, str], stytch_emulator: Emulator
) -> None:
    refused = await http.post("/mfa/sms/verify", json={**login, "code": "12ab"})

    assert refused.status == 400
    assert await refused.json() == {"detail": "Invalid code."}
    assert stytch_emulator.calls("authenticate") == 0


async def test_a_locked_member_is_told_to_wait(
    http: Client, login: dict[str, str], stytch_emulator: Emulator
) -> None:
    code = await send_code(http, login, stytch_emulator)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        await http.post("/mfa/sms/verify", json={**login, "code": wrong})

    locked = await http.post("/mfa/sms/verify", json={**login, "code": code})

    assert locked.status == 429
    assert await locked.json() == {"detail": "Too many wrong codes. Try again later."}
    assert int(locked.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "fault",
    [{"status": 503}, {"drop": True}, {"delay": 1.0}],
    ids=["stytch-5xx", "connection-dropped", "timeout"],
)
async def test_when_stytch_fails_it_is_our_problem(
    http: Client,
    login: dict[str, str],
    stytch_emulator: Emulator,
    fault: dict[str, Any],
) -> None:
    code = await send_code(http, login, stytch_emulator)
    stytch_emulator.inject_fault("authenticate", **fault)

    failed = await http.post("/mfa/sms/verify", json={**login, "code": code})

    assert failed.status == 503
    assert await failed.json() == UNAVAILABLE


async def test_a_body_without_every_field_is_refused_without_echoing_it(
    http: Client, login: dict[str, str], stytch_emulator: Emulator
) -> None:
    refused = await http.post("/mfa/sms/verify", json={"code": "123456"})

    assert refused.status == 400
    assert "123456" not in await refused.text()
    assert stytch_emulator.calls("authenticate") == 0
