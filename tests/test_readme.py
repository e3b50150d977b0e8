"""The README's Python blocks run against the emulator: it is the first page users read."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

import httpx
import pytest

from stytch_b2b_otp import NotFoundError
from stytch_b2b_otp.emulator import Emulator

README = Path(__file__).parent.parent / "README.md"
BLOCKS: list[str] = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def _block(containing: str) -> str:
    return next(block for block in BLOCKS if containing in block)


def _compile(source: str) -> CodeType:
    code: CodeType = compile(source, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return code


@pytest.fixture
def emulator_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator() as emu:
        monkeypatch.setenv("STYTCH_PROJECT_ID", emu.project_id)
        monkeypatch.setenv("STYTCH_SECRET", emu.secret)
        yield emu


async def test_the_emulator_block_sends_a_code() -> None:
    namespace: dict[str, Any] = {"Emulator": Emulator}
    result = eval(_compile(_block("async with Emulator() as emu:")), namespace)  # noqa: S307
    await result
    assert len(namespace["code"]) == 6


async def test_the_fastapi_block_sends_then_authenticates(emulator_env: Emulator) -> None:
    emu = emulator_env
    namespace: dict[str, Any] = {}
    source = _block("stytch_lifespan").replace(
        "stytch_lifespan(timeout=10)", f"stytch_lifespan(timeout=10, base_url={emu.base_url!r})"
    )
    exec(_compile(source), namespace)  # noqa: S102
    app = namespace["app"]
    org = emu.create_organization(name="Acme")
    member = emu.create_member(
        org.organization_id, email_address="ada@acme.test", mfa_phone_number="+12025550162"
    )
    ist = emu.create_intermediate_session(org.organization_id, member.member_id)
    params = {"organization_id": org.organization_id, "member_id": member.member_id, "ist": ist}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://app.test"
        ) as http,
    ):
        sent = await http.post("/mfa/sms/send", params=params)
        code = emu.last_code(member.member_id)
        wrong = "000000" if code != "000000" else "111111"
        malformed = await http.post("/mfa/sms/verify", params={**params, "code": "12345"})
        refused = await http.post("/mfa/sms/verify", params={**params, "code": wrong})
        emu.advance_time(130)  # codes live 2 minutes
        expired = await http.post("/mfa/sms/verify", params={**params, "code": code})
        await http.post("/mfa/sms/send", params=params)
        code = emu.last_code(member.member_id)
        verified = await http.post("/mfa/sms/verify", params={**params, "code": code})
        with pytest.raises(NotFoundError, match="intermediate_session_not_found"):
            # A used token is not the member's mistake: the example lets it through.
            await http.post("/mfa/sms/verify", params={**params, "code": code})
    assert sent.status_code == 200
    assert malformed.status_code == 400
    assert malformed.json() == {"detail": "Enter the 6-digit code."}
    assert refused.status_code == 401
    assert refused.json() == {"detail": "That code did not work."}
    assert verified.status_code == 200
    assert verified.json()["member_id"] == member.member_id
    assert verified.json()["session_jwt"]
    assert expired.status_code == 401
    assert emu.calls("send") == 2
    assert emu.calls("authenticate") == 4  # the malformed code never left the app


async def test_the_error_handling_block_answers_each_case() -> None:
    namespace: dict[str, Any] = {}
    exec(_compile(_block("async def send_code(")), namespace)  # noqa: S102
    send_code = namespace["send_code"]
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme")
        member = emu.create_member(
            org.organization_id, email_address="ada@acme.test", mfa_phone_number="+12025550162"
        )
        ist = emu.create_intermediate_session(org.organization_id, member.member_id)
        ids = (org.organization_id, member.member_id, ist)
        async with emu.client(timeout=0.5) as client:
            assert await send_code(client, *ids) == "Code sent."
            emu.inject_fault("send", status=429, retry_after=3600)
            assert await send_code(client, *ids) == "Too many codes: try again in 3600 seconds."
            emu.inject_fault("send", delay=2.0)
            assert await send_code(client, *ids) == (
                "If no code arrives within a minute, ask for a new one."
            )
