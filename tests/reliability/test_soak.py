"""Soak: many sends at 200 in flight against the emulator, 1 % of them faulty.

``STYTCH_SOAK_CALLS`` sets the number of calls: 2,000 by default (the CI form, a few
seconds), ``STYTCH_SOAK_CALLS=50000`` for the full soak. 200 workers share one client
(``max_connections=200``); every call is wrapped in ``asyncio.wait_for`` with a
generous bound, so a hang fails the test instead of stalling it.

Faults, one call in 100, planned by call number so the counts are exact:

- call ``i % 200 == 0``: an ``authenticate`` for a member that does not exist ->
  ``NotFoundError`` (404); on the other endpoint, so that it cannot take a fault
  planned for a ``send`` (the emulator hands a planned fault to whichever request
  arrives next, and swapping a fault between two sends keeps the counts);
- call ``i % 200 == 100``: an injected fault on the emulator's next ``send``, in turn
  a 503 (``InternalServerError``... the 5xx class), a dropped connection
  (``APIConnectionError``) and a 2.5 s delay (then a 503, so no SMS goes out) against the
  client's 2 s timeout (``APITimeoutError``). Retries are off, so each fault is exactly one error.

Every call must end in a reply or a `StytchError`; the counts per class must match
the plan; successes must equal the new messages in the emulator's outbox.

The 200 workers start in groups of 50, 50 ms apart: 200 connects at once overflow
the emulator's listen backlog (aiohttp's default, 128), and the SYNs the kernel drops
are retried only after 1 s, which the client (rightly) reports as a connect timeout.

Memory: RSS (``/proc/self/statm``) is sampled after every twentieth of the calls,
after ``gc.collect()``. The emulator serves in the same process and loop (in-loop
``async with Emulator()``), and its outbox grows by one ``SentMessage`` per success
(~1 KiB each: 50,000 of them would look like a leak of ~50 MiB). So at each sample the
outbox is counted and then emptied: what stays is the client, aiohttp, and the
emulator's bounded state (one member's last codes, counters). The mean RSS of the
last quarter of the samples must be within 20 MiB of the first quarter's (the
first sample, the warm-up, is left out).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stytch_b2b_otp import RetryPolicy, SmsSendResponse, StytchError
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig

pytestmark = pytest.mark.slow  # load tests: see the tests session in noxfile.py

CALLS = int(os.environ.get("STYTCH_SOAK_CALLS", "2000"))
IN_FLIGHT = 200
MEMBERS = 500
SAMPLES = 20
CLIENT_TIMEOUT = 2.0
SLOW = 2.5  # the delay fault: longer than CLIENT_TIMEOUT
CALL_BOUND = 30.0  # no call may take this long: a hang
MAX_GROWTH_MIB = 20.0
INJECTED = ("status 503", "drop", "delay")
EXPECTED_ERROR = {
    "missing member": "NotFoundError",
    "status 503": "InternalServerError",
    "drop": "APIConnectionError",
    "delay": "APITimeoutError",
}
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def planned_fault(i: int) -> str | None:
    if i % 200 == 0:
        return "missing member"
    if i % 200 == 100:
        return INJECTED[(i // 200) % len(INJECTED)]
    return None


async def test_soak() -> None:
    assert CALLS >= 4 * SAMPLES
    config = EmulatorConfig(sends_per_phone_per_hour=None)
    async with Emulator(config=config) as emu:
        org = emu.create_organization("Soak")
        members = [
            emu.create_member(
                org.organization_id,
                email_address=f"m{n}@soak.test",
                mfa_phone_number=f"+1202555{n:04d}",
            ).member_id
            for n in range(MEMBERS)
        ]
        outcomes: Counter[str] = Counter()
        unexpected: list[str] = []
        samples: list[float] = []
        sent = 0
        done = 0
        next_call = 0
        active = [0, 0]  # calls running now, most at once
        interval = CALLS // SAMPLES

        def sample() -> None:
            nonlocal sent
            with emu._lock:  # the outbox is counted, then emptied (see the docstring)
                sent += len(emu._rules.outbox)
                emu._rules.outbox.clear()
            gc.collect()
            samples.append(rss_mib())

        async def one(client: Any, i: int) -> None:
            fault = planned_fault(i)
            member = members[i % MEMBERS]
            call: Any = client.otps.sms.send(organization_id=org.organization_id, member_id=member)
            if fault == "missing member":
                call.close()
                call = client.otps.sms.authenticate(
                    organization_id=org.organization_id,
                    member_id="member-test-00000000-0000-4000-8000-000000000000",
                    code="123456",
                    session_token="session-token-of-nobody",
                )
            elif fault is not None:
                if fault == "status 503":
                    emu.inject_fault("send", status=503)
                elif fault == "drop":
                    emu.inject_fault("send", drop=True)
                else:
                    emu.inject_fault("send", delay=SLOW, status=503)  # nothing is sent
            try:
                active[0] += 1
                active[1] = max(active[1], active[0])
                reply = await asyncio.wait_for(call, CALL_BOUND)
            except StytchError as error:
                outcomes[type(error).__name__] += 1
            except Exception as error:  # noqa: BLE001 (recorded; asserted empty)
                unexpected.append(repr(error))
            else:
                assert isinstance(reply, SmsSendResponse)
                outcomes["success"] += 1
            finally:
                active[0] -= 1

        async def worker(client: Any, k: int) -> None:
            nonlocal next_call, done
            await asyncio.sleep(k // 50 * 0.05)  # ramp up: see the docstring
            while next_call < CALLS:
                i, next_call = next_call, next_call + 1
                await one(client, i)
                done += 1
                if done % interval == 0:
                    sample()

        started = time.perf_counter()
        async with emu.client(
            timeout=CLIENT_TIMEOUT,
            retry=RetryPolicy(max_retries=0),
            max_connections=IN_FLIGHT,
        ) as client:
            await asyncio.gather(*(worker(client, k) for k in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
        sample()

    planned = Counter(planned_fault(i) for i in range(CALLS))
    planned_missing = planned["missing member"]
    expected = Counter({"success": planned.pop(None)})
    for fault, count in planned.items():
        assert fault is not None
        expected[EXPECTED_ERROR[fault]] += count
    first = samples[1 : 1 + SAMPLES // 4]
    last = samples[-(SAMPLES // 4) :]
    growth = sum(last) / len(last) - sum(first) / len(first)
    print(  # noqa: T201 (the soak's figures, shown with -s)
        f"\nsoak: {CALLS} calls in {elapsed:.1f}s ({CALLS / elapsed:.0f}/s), "
        f"{active[1]} in flight; {dict(outcomes)}; "
        f"RSS MiB: {', '.join(f'{s:.1f}' for s in samples)}; growth {growth:+.1f} MiB"
    )
    assert unexpected == []
    assert outcomes == expected
    assert sum(outcomes.values()) == CALLS
    assert sent == outcomes["success"]
    assert emu.calls("authenticate") == planned_missing
    assert emu.calls("send") == CALLS - planned_missing
    assert active == [0, IN_FLIGHT]
    assert growth < MAX_GROWTH_MIB
