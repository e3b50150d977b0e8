"""Every input gets exactly one outcome, failures included, and no failure stops the batch."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import aclosing
from typing import Any

import pytest

from stytch_b2b_otp import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    SmsSendRequest,
    StytchError,
)
from stytch_b2b_otp.emulator import Emulator
from tests.bulk.conftest import Clients, Recorder, member_id, requests_for

N = 10_000
CONCURRENCY = 32
SERVER_ERRORS = 5


@pytest.mark.slow
async def test_ten_thousand_sends_with_failures_are_each_accounted_for_once(
    emu: Emulator, clients: Clients
) -> None:
    org = emu.create_organization("Acme", slug="acme")
    members = [
        emu.create_member(org.organization_id, email_address=f"m{i}@acme.test") for i in range(N)
    ]
    # 1 % of the members have no phone and none is given: 404 member_phone_number_not_found.
    no_phone = {i for i in range(N) if i % 100 == 37}
    requests = [
        SmsSendRequest(
            organization_id=org.organization_id,
            member_id=member.member_id,
            mfa_phone_number=None if i in no_phone else f"+1202555{i:04d}",
        )
        for i, member in enumerate(members)
    ]
    # Every send takes 2 ms at the server, so that requests overlap; calls 2000, 4000, ...
    # 10000 answer 500 (which is never retried by default).
    for _ in range(SERVER_ERRORS):
        emu.inject_fault("send", delay=0.002, times=N // SERVER_ERRORS - 1)
        emu.inject_fault("send", status=500, delay=0.002)
    client = await clients.to_emulator(emu)

    outcomes = await client.otps.sms.send_many(requests, concurrency=CONCURRENCY)

    # One outcome per input, in input order, each for its own request.
    assert [outcome.index for outcome in outcomes] == list(range(N))
    assert all(outcome.request is requests[outcome.index] for outcome in outcomes)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    server_errors = {o.index for o in failed if isinstance(o.error, InternalServerError)}
    assert len(server_errors) == SERVER_ERRORS
    assert {o.index for o in failed} == no_phone | server_errors
    for outcome in failed:
        assert outcome.response is None
        error = outcome.error
        if outcome.index in server_errors:
            assert isinstance(error, InternalServerError)
            assert (error.status_code, error.error_type) == (500, "internal_server_error")
        else:
            assert type(error) is NotFoundError
            assert error.error_type == "member_phone_number_not_found"
    succeeded = [outcome for outcome in outcomes if outcome.ok]
    for outcome in succeeded:
        assert outcome.error is None
        assert outcome.response is not None
        assert outcome.response.member_id == outcome.request.member_id
        assert outcome.response.member.mfa_phone_number == outcome.request.mfa_phone_number

    # The outbox: each successful member texted once, nobody else; nothing was retried.
    texted = Counter((m.member_id, m.phone_number) for m in emu.sent_messages)
    assert texted == Counter((o.request.member_id, o.request.mfa_phone_number) for o in succeeded)
    assert emu.calls("send") == N
    # The bound holds at the server, and the batch did use it.
    assert CONCURRENCY - 4 <= emu.peak_in_flight("send") <= CONCURRENCY


@pytest.mark.parametrize(
    ("concurrency", "delays", "expected_order"),
    [
        pytest.param(4, [0.3, 0.2, 0.1, 0.0], [3, 2, 1, 0], id="slowest-first"),
        # While item 0 is slow, the other worker goes on with 1, 2 and 3.
        pytest.param(2, [0.3, 0.0, 0.0, 0.0], [1, 2, 3, 0], id="a-free-worker-moves-on"),
    ],
)
async def test_send_stream_yields_outcomes_as_they_complete(
    recorder: Recorder,
    clients: Clients,
    concurrency: int,
    delays: list[float],
    expected_order: list[int],
) -> None:
    client = await clients.to(recorder.server.base_url)
    recorder.delays = {member_id(i): delay for i, delay in enumerate(delays)}
    requests = requests_for(len(delays))
    loop = asyncio.get_running_loop()
    started = loop.time()
    order: list[int] = []
    arrived_after: list[float] = []
    async with aclosing(client.otps.sms.send_stream(requests, concurrency=concurrency)) as stream:
        async for outcome in stream:
            assert outcome.ok
            assert outcome.request is requests[outcome.index]
            order.append(outcome.index)
            arrived_after.append(loop.time() - started)
    assert order == expected_order
    # The first outcome is handed out long before the slowest request completes.
    assert arrived_after[0] < 0.15
    assert arrived_after[-1] >= 0.29
    assert sorted(recorder.indexes()) == list(range(len(delays)))  # each sent once

    # The same batch through send_many comes back in input order.
    outcomes = await client.otps.sms.send_many(requests, concurrency=concurrency)
    assert [outcome.index for outcome in outcomes] == [0, 1, 2, 3]


# One per failure: the fault the emulator plays for that item, and the outcome's error.
FAILURES: list[tuple[str, dict[str, Any] | None, type[StytchError], str | None]] = [
    ("timeout", {"delay": 0.3}, APITimeoutError, None),
    ("dropped connection", {"drop": True}, APIConnectionError, None),
    ("400", {"status": 400}, BadRequestError, "bad_request"),
    ("404 from the rules", None, NotFoundError, "member_phone_number_not_found"),
    ("429 without Retry-After", {"status": 429}, RateLimitError, "too_many_requests"),
    ("500", {"status": 500}, InternalServerError, "internal_server_error"),
    ("503", {"status": 503}, InternalServerError, "server_unavailable"),
    ("malformed 200", {"malformed": True}, InvalidResponseError, None),
]


async def test_one_items_failure_never_stops_the_batch(emu: Emulator, clients: Clients) -> None:
    org = emu.create_organization("Acme", slug="acme")
    requests: list[SmsSendRequest] = []
    expected: dict[int, tuple[str, type[StytchError], str | None]] = {}
    # One worker, so item i meets fault i: a failure, then a success, for each row.
    for name, fault, error_class, error_type in FAILURES:
        for fails in (True, False):
            member = emu.create_member(org.organization_id, email_address=f"{len(requests)}@a.test")
            phone = None if fails and fault is None else f"+1202555{len(requests):04d}"
            requests.append(
                SmsSendRequest(
                    organization_id=org.organization_id,
                    member_id=member.member_id,
                    mfa_phone_number=phone,
                )
            )
            if fails:
                expected[len(requests) - 1] = (name, error_class, error_type)
            # A 1 ms delay is the "no fault" entry that keeps the plan in step with items.
            emu.inject_fault("send", **(fault if fails and fault else {"delay": 0.001}))
    client = await clients.to_emulator(emu, timeout=0.15)

    outcomes = await client.otps.sms.send_many(requests, concurrency=1)

    assert [o.index for o in outcomes] == list(range(len(requests)))
    for outcome in outcomes:
        if outcome.index in expected:
            name, error_class, error_type = expected[outcome.index]
            assert not outcome.ok, name
            assert type(outcome.error) is error_class, (name, outcome.error)
            assert getattr(outcome.error, "error_type", None) == error_type, name
            assert outcome.response is None, name
        else:
            assert outcome.ok, (outcome.index, outcome.error)
            assert outcome.response is not None
    assert emu.calls("send") == len(requests)  # none of these failures is retried


async def test_an_unreachable_server_fails_every_item_without_raising(clients: Clients) -> None:
    # A port nobody listens on: connecting fails (retried, never sent), for every item.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = await clients.to(f"http://127.0.0.1:{port}")

    outcomes = await client.otps.sms.send_many(requests_for(6), concurrency=3)

    assert [o.index for o in outcomes] == list(range(6))
    for outcome in outcomes:
        assert type(outcome.error) is APIConnectionError
        assert outcome.error.request_sent is False
        assert outcome.response is None
