"""Shared fixtures: fixtures on disk, a loopback-only network, fake Stytch servers."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypedDict

import pytest

from stytch_b2b_otp import StytchB2BClient
from tests import aioresponses_compat
from tests.servers import FakeStytch

aioresponses_compat.install()

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT_ID = "project-test-7f8e2c4a-3b1d-4e5f-9a6b-0c1d2e3f4a5b"
SECRET = "secret-test-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


class MemberIds(TypedDict):
    """The two ids every call takes, for ``**IDS`` in tests."""

    organization_id: str
    member_id: str


IDS: MemberIds = {"organization_id": "organization-test-1", "member_id": "member-test-1"}


def load_fixture(name: str) -> dict[str, Any]:
    """A reply body from ``tests/fixtures`` (a fresh copy each call)."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse to resolve anything but loopback: no test may reach Stytch or the Internet."""
    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOOPBACK_HOSTS and not name.startswith("127."):
            raise socket.gaierror(socket.EAI_NONAME, f"tests may only reach loopback, not {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture
def credentials_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``STYTCH_PROJECT_ID`` and ``STYTCH_SECRET`` set to test values."""
    monkeypatch.setenv("STYTCH_PROJECT_ID", PROJECT_ID)
    monkeypatch.setenv("STYTCH_SECRET", SECRET)


@pytest.fixture
def no_credentials_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither credential variable set, whatever the developer's shell has."""
    monkeypatch.delenv("STYTCH_PROJECT_ID", raising=False)
    monkeypatch.delenv("STYTCH_SECRET", raising=False)


@pytest.fixture
async def client() -> AsyncIterator[StytchB2BClient]:
    """A client for the default test base URL (use with aioresponses)."""
    async with StytchB2BClient(PROJECT_ID, SECRET) as client:
        yield client


@pytest.fixture
async def fake_stytch() -> AsyncIterator[FakeStytch]:
    """A scripted Stytch on 127.0.0.1 that records what it receives."""
    async with FakeStytch() as server:
        yield server
