"""Tracing: time each request, and each wait for a pooled connection, with aiohttp hooks."""

import asyncio
import time
from types import SimpleNamespace

import aiohttp

from stytch_b2b_otp.emulator import Emulator


async def on_request_start(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: aiohttp.TraceRequestStartParams,
) -> None:
    context.started = time.perf_counter()


async def on_request_end(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
) -> None:
    elapsed_ms = (time.perf_counter() - context.started) * 1000  # or: to your metrics
    print(f"{params.method} {params.url.path} -> {params.response.status} in {elapsed_ms:.1f} ms")


async def on_queued_end(
    session: aiohttp.ClientSession,
    context: SimpleNamespace,
    params: aiohttp.TraceConnectionQueuedEndParams,
) -> None:
    print("waited for a free pooled connection")  # max_connections is too small?


def stytch_trace() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    trace.on_request_end.append(on_request_end)
    trace.on_connection_queued_end.append(on_queued_end)
    return trace


async def main() -> None:
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme")
        member = emu.create_member(
            org.organization_id, email_address="ada@acme.test", mfa_phone_number="+12025550162"
        )
        # In production: StytchB2BClient(trace_configs=[stytch_trace()]).
        async with emu.client(trace_configs=[stytch_trace()], max_connections=1) as client:
            send = client.otps.sms.send(
                organization_id=org.organization_id, member_id=member.member_id
            )
            other = client.otps.sms.send(
                organization_id=org.organization_id, member_id=member.member_id
            )
            await asyncio.gather(send, other)  # one connection: the second call waits


if __name__ == "__main__":
    asyncio.run(main())
