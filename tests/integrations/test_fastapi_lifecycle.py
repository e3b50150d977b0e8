"""stytch_b2b_otp.fastapi: one client per application lifespan, closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import aiohttp
import fastapi_app
import httpx
import pytest
from fastapi import FastAPI

from stytch_b2b_otp import RetryPolicy, StytchB2BClient
from stytch_b2b_otp.emulator import Emulator
from stytch_b2b_otp.fastapi import StytchClient, stytch_client_context, stytch_lifespan
from tests.conftest import PROJECT_ID, SECRET

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def app_showing_its_client(lifespan: Lifespan | None = None) -> FastAPI:
    app = FastAPI(lifespan=lifespan)

    @app.get("/client")
    async def which_client(stytch: StytchClient) -> int:
        return id(stytch)

    return app


@asynccontextmanager
async def requests_to(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
        yield http


@pytest.mark.usefixtures("credentials_env")
async def test_stytch_lifespan_serves_one_client_to_every_request_and_closes_it(
    clients_made: list[StytchB2BClient],
) -> None:
    app = app_showing_its_client(stytch_lifespan())
    async with app.router.lifespan_context(app), requests_to(app) as http:
        served = {(await http.get("/client")).json() for _ in range(3)}
        [client] = clients_made
        assert served == {id(client)}
        assert not client.closed
    assert client.closed


async def test_the_example_app_makes_one_client_for_its_lifetime(
    stytch_emulator_env: Emulator, clients_made: list[StytchB2BClient]
) -> None:
    emu = stytch_emulator_env
    org = emu.create_organization(name="Acme")
    member = emu.create_member(org.organization_id, email_address="ada@acme.test")
    ids = {"organization_id": org.organization_id, "member_id": member.member_id}
    app = fastapi_app.app
    async with app.router.lifespan_context(app), requests_to(app) as http:
        for _ in range(3):
            ist = emu.create_intermediate_session(org.organization_id, member.member_id)
            login = {**ids, "intermediate_session_token": ist, "mfa_phone_number": "+12025550162"}
            assert (await http.post("/mfa/sms/send", json=login)).status_code == 200
            code = emu.last_code(member.member_id)
            verified = await http.post("/mfa/sms/verify", json={**login, "code": code})
            assert verified.status_code == 200
    [client] = clients_made
    assert client.base_url == emu.base_url  # from STYTCH_BASE_URL, read at start-up
    assert client.closed
    assert emu.calls("authenticate") == 3


async def test_client_options_pass_through(clients_made: list[StytchB2BClient]) -> None:
    policy = RetryPolicy(max_retries=0)
    trace = aiohttp.TraceConfig()
    async with stytch_client_context(
        FastAPI(),
        project_id=PROJECT_ID,
        secret=SECRET,
        base_url="http://127.0.0.1:9",
        timeout=3,
        retry=policy,
        max_connections=7,
        trace_configs=[trace],
    ) as client:
        assert clients_made == [client]
        assert client.project_id == PROJECT_ID
        assert client.base_url == "http://127.0.0.1:9"
        assert client.timeout.total == 3
        assert client.retry is policy
        assert client._transport.pool_size == 7
        assert client._transport._trace_configs == [trace]


@pytest.mark.usefixtures("credentials_env")
async def test_your_own_lifespan_enters_the_context_and_handlers_get_its_client() -> None:
    yielded: list[StytchB2BClient] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with stytch_client_context(app) as client:
            yielded.append(client)
            yield

    app = app_showing_its_client(lifespan)
    async with app.router.lifespan_context(app), requests_to(app) as http:
        assert (await http.get("/client")).json() == id(yielded[0])
        assert yielded[0].project_id == PROJECT_ID  # from STYTCH_PROJECT_ID
    assert yielded[0].closed


@pytest.mark.usefixtures("credentials_env")
async def test_a_second_client_for_one_app_is_refused(
    clients_made: list[StytchB2BClient],
) -> None:
    app = app_showing_its_client(stytch_lifespan())
    async with app.router.lifespan_context(app), requests_to(app) as http:
        with pytest.raises(RuntimeError, match="already has a Stytch client"):
            async with stytch_client_context(app):
                pass
        assert (await http.get("/client")).json() == id(clients_made[0])
    assert len(clients_made) == 1


async def test_a_handler_without_the_lifespan_is_told_what_to_do() -> None:
    app = app_showing_its_client(stytch_lifespan())
    async with requests_to(app) as http:
        with pytest.raises(RuntimeError, match=r"lifespan is not running.*lifespan_context"):
            await http.get("/client")


@pytest.mark.usefixtures("credentials_env")
async def test_after_shutdown_handlers_get_no_client() -> None:
    app = app_showing_its_client(stytch_lifespan())
    async with app.router.lifespan_context(app):
        pass
    async with requests_to(app) as http:
        with pytest.raises(RuntimeError, match="lifespan is not running"):
            await http.get("/client")


@pytest.mark.usefixtures("no_credentials_env")
async def test_a_missing_credential_stops_the_app_from_starting(
    clients_made: list[StytchB2BClient],
) -> None:
    app = app_showing_its_client(stytch_lifespan())
    with pytest.raises(ValueError, match="STYTCH_PROJECT_ID"):
        async with app.router.lifespan_context(app):
            pass
    assert clients_made == []
    async with stytch_lifespan(project_id=PROJECT_ID, secret=SECRET)(app):  # nothing left
        pass
