"""A worker that texts MFA codes: jobs from an asyncio.Queue, sent with send_stream."""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator

from stytch_b2b_otp import (
    APIConnectionError,
    InternalServerError,
    SendOutcome,
    SmsSendRequest,
    StytchB2BClient,
)
from stytch_b2b_otp.emulator import Emulator

logger = logging.getLogger("sms-worker")

# A job is one send; None asks the worker to finish the jobs before it, then return.
Jobs = asyncio.Queue[SmsSendRequest | None]


async def run_worker(
    client: StytchB2BClient, queue: Jobs, *, concurrency: int = 16, rate_limit: float = 50
) -> Counter[str]:
    """Send each job on ``queue`` until a None; how many were sent, failed, or unknown."""
    tally: Counter[str] = Counter()

    async def jobs() -> AsyncIterator[SmsSendRequest]:
        # send_stream pulls a job only when a sender is free: a bounded queue then
        # holds back whoever fills it, and nothing piles up in memory.
        while (job := await queue.get()) is not None:
            yield job
        queue.task_done()  # the None

    stream = client.otps.sms.send_stream(jobs(), concurrency=concurrency, rate_limit=rate_limit)
    async with contextlib.aclosing(stream):
        async for outcome in stream:
            tally[record(outcome)] += 1
            queue.task_done()  # only now: queue.join() means "sent and recorded"
    return tally


def record(outcome: SendOutcome) -> str:
    """Note what became of one job (a real worker writes it down) and name the result."""
    member_id = outcome.request.member_id
    error = outcome.error
    if error is None:
        logger.info("texted %s", member_id)
        return "sent"
    if isinstance(error, InternalServerError) or (
        isinstance(error, APIConnectionError) and error.request_sent
    ):
        # Stytch may have texted them: sending again could deliver a second code.
        logger.warning("%s may have been texted (%s); not sending again", member_id, error)
        return "unknown"
    logger.warning("%s was not texted: %s", member_id, error)  # safe to queue it again
    return "failed"


async def main() -> None:
    async with Emulator() as emu:  # stands in for Stytch; use StytchB2BClient() for real
        org = emu.create_organization(name="Acme")
        member_ids = [
            emu.create_member(
                org.organization_id,
                email_address=f"member{i}@acme.test",
                mfa_phone_number=f"+1202555{i:04d}",
            ).member_id
            for i in range(50)
        ]
        queue: Jobs = asyncio.Queue(maxsize=20)
        async with emu.client() as client:
            worker = asyncio.create_task(run_worker(client, queue))
            for member_id in member_ids:  # the producer: a web handler, a message bus...
                await queue.put(
                    SmsSendRequest(organization_id=org.organization_id, member_id=member_id)
                )
            await queue.put(None)  # finish what is queued, then stop
            tally = await worker
        print(dict(tally))


if __name__ == "__main__":
    asyncio.run(main())
