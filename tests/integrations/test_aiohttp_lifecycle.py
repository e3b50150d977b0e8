"""stytch_b2b_otp.aiohttp: one client per application, made at start-up, closed at cleanup."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiohttp_app import create_app

from stytch_b2b_otp import RetryPolicy, StytchB2BClient
from stytch_b2b_otp.aiohttp import STYTCH_CLIENT, get_stytch_client, stytch_cleanup_ctx
from stytch_b2b_otp.emulator import Emulator
from tests.conftest import PROJECT_ID, SECRET


async def which_client(request: web.Request) -> web.Response:
    return web.json_response(id(get_stytch_client(request)))


def app_showing_its_client() -> web.Application:
    app = web.Application()
    app.router.add_get("/client", which_client)
    return app


async def test_the_example_app_makes_one_client_for_every_request_and_closes_it(
    stytch_emulator_env: Emulator, clients_made: list[StytchB2BClient]
) -> None:
    emu = stytch_emulator_env
    org = emu.create_organization(name="Acme")
    member = emu.create_member(org.organization_id, email_address="ada@acme.test")
    ids = {"organization_id": org.organization_id, "member_id": member.member_id}
    app = create_app()
    app.router.add_get("/client", which_client)
    async with TestClient(TestServer(app)) as http:
        for _ in range(3):
            ist = emu.create_intermediate_session(org.organization_id, member.member_id)
            login = {**ids, "intermediate_session_token": ist, "mfa_phone_number": "+12025550162"}
            assert (await http.post("/mfa/sms/send", json=login)).status == 200
            code = emu.last_code(member.member_id)
            assert (await http.post("/mfa/sms/verify", json={**login, "code": code})).status == 200
        [client] = clients_made
        assert await (await http.get("/client")).json() == id(client)
        assert app[STYTCH_CLIENT] is client
        assert not client.closed
    assert client.base_url == emu.base_url  # from STYTCH_BASE_URL, read by create_app()
    assert clients_made[0].closed  # (not `client.closed`: mypy narrowed it to False)
    assert emu.calls("authenticate") == 3


async def test_client_options_pass_through(clients_made: list[StytchB2BClient]) -> None:
    policy = RetryPolicy(max_retries=0)
    trace = aiohttp.TraceConfig()
    app = web.Application()
    app.cleanup_ctx.append(
        stytch_cleanup_ctx(
            project_id=PROJECT_ID,
            secret=SECRET,
            base_url="http://127.0.0.1:9",
            timeout=3,
            retry=policy,
            max_connections=7,
            trace_configs=[trace],
        )
    )
    async with TestServer(app):
        client = get_stytch_client(app)
        assert clients_made == [client]
        assert client.project_id == PROJECT_ID
        assert client.base_url == "http://127.0.0.1:9"
        assert client.timeout.total == 3
        assert client.retry is policy
        assert client._transport.pool_size == 7
        assert client._transport._trace_configs == [trace]


@pytest.mark.usefixtures("credentials_env")
async def test_a_sub_application_uses_its_parents_client(
    clients_made: list[StytchB2BClient],
) -> None:
    app = web.Application()
    app.cleanup_ctx.append(stytch_cleanup_ctx())
    app.add_subapp("/api/", app_showing_its_client())
    async with TestClient(TestServer(app)) as http:
        assert await (await http.get("/api/client")).json() == id(clients_made[0])
        assert clients_made[0].project_id == PROJECT_ID  # from STYTCH_PROJECT_ID


@pytest.mark.usefixtures("credentials_env")
async def test_a_second_client_for_one_app_is_refused(
    clients_made: list[StytchB2BClient],
) -> None:
    app = web.Application()
    app.cleanup_ctx.append(stytch_cleanup_ctx())
    app.cleanup_ctx.append(stytch_cleanup_ctx())
    server = TestServer(app)
    with pytest.raises(RuntimeError, match="already has a Stytch client"):
        await server.start_server()
    await server.close()
    assert len(clients_made) == 1  # and closed, the fixture checks


async def test_a_handler_without_the_cleanup_context_is_told_what_to_do(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(RuntimeError, match=r"append stytch_cleanup_ctx\(\) to app.cleanup_ctx"):
        get_stytch_client(web.Application())
    async with TestClient(TestServer(app_showing_its_client())) as http:
        assert (await http.get("/client")).status == 500
    assert "append stytch_cleanup_ctx() to app.cleanup_ctx" in caplog.text


@pytest.mark.usefixtures("no_credentials_env")
async def test_a_missing_credential_stops_the_app_from_starting(
    clients_made: list[StytchB2BClient],
) -> None:
    app = web.Application()
    app.cleanup_ctx.append(stytch_cleanup_ctx())
    server = TestServer(app)
    with pytest.raises(ValueError, match="STYTCH_PROJECT_ID"):
        await server.start_server()
    await server.close()
    assert clients_made == []
    assert STYTCH_CLIENT not in app


@pytest.mark.usefixtures("credentials_env")
async def test_a_context_appended_later_has_the_client_until_it_is_cleaned_up() -> None:
    open_at_cleanup: list[bool] = []

    async def uses_the_client(app: web.Application) -> AsyncIterator[None]:
        client = get_stytch_client(app)
        yield
        open_at_cleanup.append(not client.closed)

    app = web.Application()
    app.cleanup_ctx.append(stytch_cleanup_ctx())
    app.cleanup_ctx.append(uses_the_client)
    async with TestServer(app):
        pass
    assert open_at_cleanup == [True]
    assert get_stytch_client(app).closed
