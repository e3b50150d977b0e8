"""Fixtures for the emulator's tests: a frozen-clock emulator, a client bound to it, a member
half-way through MFA, and raw HTTP for what the SDK refuses to send."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any, Literal, TypeVar

import aiohttp
import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from stytch_b2b_otp import APIStatusError, Member, Organization, RetryPolicy, StytchB2BClient
from stytch_b2b_otp._config import authorization_header
from stytch_b2b_otp._constants import SMS_AUTHENTICATE_PATH, SMS_SEND_PATH
from stytch_b2b_otp.emulator import Clock, Emulator, EmulatorConfig, _jwt
from tests.conftest import MemberIds

START = datetime(2026, 3, 2, 10, 0, 0, tzinfo=timezone.utc)
PHONE = "+12025550162"
SECOND_PHONE = "+12025550163"
SEND_PATH = SMS_SEND_PATH
AUTH_PATH = SMS_AUTHENTICATE_PATH
# Retries as the default policy decides them (max_retry_after 10 s, no 5xx), minus the wait.
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)

E = TypeVar("E", bound=APIStatusError)
MfaPolicy = Literal["OPTIONAL", "REQUIRED_FOR_ALL"]


_KEYS: list[rsa.RSAPrivateKey] = []


@pytest.fixture(autouse=True)
def _reused_signing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """RSA keys drawn from a pool shared by the whole run instead of ~50 ms each.

    Within one test every emulator still gets its own key (a JWT signed by one must not
    verify with another's); across tests the same keys come back.
    """
    order = itertools.count()

    def generate_private_key(public_exponent: int, key_size: int) -> rsa.RSAPrivateKey:
        index = next(order)
        while len(_KEYS) <= index:
            _KEYS.append(rsa.generate_private_key(public_exponent, key_size))
        return _KEYS[index]

    monkeypatch.setattr(_jwt, "rsa", SimpleNamespace(generate_private_key=generate_private_key))


class Emulators:
    """Starts emulators in the test's loop and stops them when the test ends."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack

    async def start(
        self,
        *,
        config: EmulatorConfig | None = None,
        clock: Clock | None = None,
        project_id: str | None = None,
    ) -> Emulator:
        """A serving emulator; the clock is frozen at `START` unless one is given."""
        options: dict[str, Any] = {"project_id": project_id} if project_id else {}
        emulator = Emulator(config=config, clock=clock or Clock(start=START), **options)
        return await self._stack.enter_async_context(emulator)

    async def client(self, emulator: Emulator, **options: Any) -> StytchB2BClient:
        """A client bound to ``emulator`` (fast retries unless ``retry=`` is given)."""
        options.setdefault("retry", FAST)
        return await self._stack.enter_async_context(emulator.client(**options))


@pytest.fixture
async def emulators() -> AsyncIterator[Emulators]:
    async with AsyncExitStack() as stack:
        yield Emulators(stack)


@pytest.fixture
async def emu(emulators: Emulators) -> Emulator:
    """An emulator with the default rules and a clock frozen at `START`."""
    return await emulators.start()


@pytest.fixture
async def sdk(emulators: Emulators, emu: Emulator) -> StytchB2BClient:
    """The SDK, talking to ``emu`` over 127.0.0.1."""
    return await emulators.client(emu)


@attrs.frozen
class MfaFlow:
    """A member who passed primary authentication and now owes an SMS code."""

    emu: Emulator
    org: Organization
    member: Member
    ist: str

    @property
    def ids(self) -> MemberIds:
        """``organization_id`` and ``member_id``, for ``**flow.ids``."""
        return {"organization_id": self.org.organization_id, "member_id": self.member.member_id}

    async def send(self, client: StytchB2BClient, **arguments: Any) -> str:
        """Text the member (to `PHONE`, with the IST, unless told otherwise); the code."""
        arguments.setdefault("mfa_phone_number", PHONE)
        arguments.setdefault("intermediate_session_token", self.ist)
        await client.otps.sms.send(**self.ids, **arguments)
        return self.emu.last_code(self.member.member_id)

    def refreshed(self) -> MfaFlow:
        """The same member with a new intermediate session token (a new primary login)."""
        ist = self.emu.create_intermediate_session(self.org.organization_id, self.member.member_id)
        return attrs.evolve(self, ist=ist)


def new_flow(
    emu: Emulator,
    *,
    mfa_policy: MfaPolicy = "OPTIONAL",
    slug: str = "acme",
    email: str = "ada@acme.test",
    **member: Any,
) -> MfaFlow:
    """A new organization with one member (no phone unless given) and an IST."""
    org = emu.create_organization(name=slug.title(), slug=slug, mfa_policy=mfa_policy)
    created = emu.create_member(org.organization_id, email_address=email, **member)
    ist = emu.create_intermediate_session(org.organization_id, created.member_id)
    return MfaFlow(emu=emu, org=org, member=created, ist=ist)


@pytest.fixture
def flow(emu: Emulator) -> MfaFlow:
    """Ada of Acme (``OPTIONAL`` MFA, no phone yet), with an intermediate session token."""
    return new_flow(emu)


def wrong_code(*codes: str) -> str:
    """A well-formed code that is none of ``codes``."""
    return next(c for c in ("000000", "111111", "222222") if c not in codes)


async def expect_error(error_class: type[E], error_type: str, call: Awaitable[object]) -> E:
    """Await ``call``; it must raise exactly ``error_class`` carrying ``error_type``."""
    with pytest.raises(error_class) as caught:
        await call
    error = caught.value
    assert type(error) is error_class
    assert error.error_type == error_type, error.error_message
    return error


@attrs.frozen
class RawReply:
    """A reply read without the SDK."""

    status: int
    headers: Mapping[str, str]
    body: Any


async def raw_request(
    emu: Emulator,
    path: str,
    body: object = None,
    *,
    method: str = "POST",
    data: bytes | None = None,
    authorization: str | None = "default",
) -> RawReply:
    """``method path`` with ``body`` as JSON (or raw ``data``), with the emulator's credentials
    unless ``authorization`` says otherwise (``None``: no header)."""
    headers = {"Content-Type": "application/json"}
    if authorization == "default":
        headers["Authorization"] = authorization_header(emu.project_id, emu.secret)
    elif authorization is not None:
        headers["Authorization"] = authorization
    if data is None and body is not None:
        data = json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, emu.base_url + path, data=data, headers=headers) as reply,
    ):
        text = await reply.text()
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = text
        return RawReply(status=reply.status, headers=dict(reply.headers), body=decoded)


def assert_error_body(reply: RawReply, status: int, error_type: str) -> None:
    """``reply`` is Stytch's error body for ``error_type``, with the status in both places."""
    assert reply.status == status
    assert set(reply.body) == {
        "status_code",
        "request_id",
        "error_type",
        "error_message",
        "error_url",
    }
    assert reply.body["status_code"] == status
    assert reply.body["error_type"] == error_type
    assert reply.body["request_id"].startswith("request-id-test-")
    assert reply.body["error_message"]
    assert reply.body["error_url"] == f"https://stytch.com/docs/api/errors/{status}"
