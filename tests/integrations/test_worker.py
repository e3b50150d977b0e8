"""The worker example: every queued job sent once, outcomes recorded, a clean stop."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
import worker

from stytch_b2b_otp import SmsSendRequest, StytchB2BClient
from stytch_b2b_otp.emulator import Emulator


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emu:
        yield emu


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[StytchB2BClient]:
    async with emu.client() as client:
        yield client


def members(emu: Emulator, count: int) -> list[SmsSendRequest]:
    org = emu.create_organization(name="Acme")
    return [
        SmsSendRequest(
            organization_id=org.organization_id,
            member_id=emu.create_member(
                org.organization_id,
                email_address=f"member{i}@acme.test",
                mfa_phone_number=f"+1202555{i:04d}",
            ).member_id,
        )
        for i in range(count)
    ]


async def test_every_job_is_sent_once_and_the_worker_stops(
    emu: Emulator, client: StytchB2BClient
) -> None:
    jobs = members(emu, 60)
    queue: worker.Jobs = asyncio.Queue(maxsize=5)  # smaller than the batch: back-pressure
    running = asyncio.create_task(worker.run_worker(client, queue, concurrency=8, rate_limit=1000))
    for job in jobs:
        await queue.put(job)
    await queue.put(None)

    tally = await asyncio.wait_for(running, timeout=10)

    assert tally == Counter(sent=60)
    texted = Counter(message.member_id for message in emu.sent_messages)
    assert texted == Counter(job.member_id for job in jobs)  # each member exactly once
    assert queue.empty()
    await asyncio.wait_for(queue.join(), timeout=1)  # every job was marked done
    assert emu.peak_in_flight("send") <= 8
    assert not client.closed  # the worker borrows the client; its owner closes it


async def test_an_idle_worker_stops_when_asked(client: StytchB2BClient) -> None:
    queue: worker.Jobs = asyncio.Queue()
    running = asyncio.create_task(worker.run_worker(client, queue))
    await asyncio.sleep(0.05)  # waiting for work
    assert not running.done()

    await queue.put(None)

    assert await asyncio.wait_for(running, timeout=1) == Counter()


async def test_failures_are_recorded_and_the_rest_are_still_sent(
    emu: Emulator, client: StytchB2BClient, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = members(emu, 10)
    unknown_member = SmsSendRequest(
        organization_id=jobs[0].organization_id, member_id="member-test-nobody"
    )
    emu.inject_fault("send", drop=True)  # the connection breaks: the SMS may be gone
    queue: worker.Jobs = asyncio.Queue()
    for job in [*jobs, unknown_member, None]:
        queue.put_nowait(job)

    tally = await worker.run_worker(client, queue, concurrency=1, rate_limit=1000)

    assert tally == Counter(sent=9, unknown=1, failed=1)
    assert len(emu.sent_messages) == 9
    assert emu.calls("send") == 11  # the dropped send was not retried
    assert "member-test-nobody was not texted" in caplog.text
    assert "may have been texted" in caplog.text


async def test_the_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await worker.main()

    assert capsys.readouterr().out.strip() == "{'sent': 50}"
