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


async def test_the_fastapi_block_maps_a_wrong_code_to_401(emulator_env: Emulator) -> None:
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
    params = {
        "organization_id": org.organization_id,
        "member_id": member.member_id,
        "ist": ist,
        "code": "000000",
    }
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://app.test"
        ) as http,
    ):
        reply = await http.post("/mfa/sms/verify", params=params)
    assert reply.status_code == 401
    assert reply.json() == {"detail": "That code did not work."}
    assert emu.calls("authenticate") == 1
