"""Re-prompt MFA for a whole organization: send_stream with bounded concurrency."""

import asyncio
from collections import Counter
from collections.abc import Iterator

from stytch_b2b_otp import APIStatusError, SmsSendRequest
from stytch_b2b_otp.emulator import Emulator


async def main() -> None:
    async with Emulator() as emu:  # stands in for Stytch; use StytchB2BClient() for real
        org = emu.create_organization(name="Acme")
        member_ids = [
            emu.create_member(
                org.organization_id,
                email_address=f"member{i}@acme.test",
                mfa_phone_number=f"+1202555{i:04d}",
            ).member_id
            for i in range(200)
        ]

        def requests() -> Iterator[SmsSendRequest]:  # read lazily: any length works
            for member_id in member_ids:
                yield SmsSendRequest(organization_id=org.organization_id, member_id=member_id)

        tally: Counter[str] = Counter()
        async with emu.client() as client:
            stream = client.otps.sms.send_stream(requests(), concurrency=16, rate_limit=200)
            async for outcome in stream:
                if outcome.ok:
                    tally["sent"] += 1
                elif isinstance(outcome.error, APIStatusError):  # never stops the batch
                    tally[outcome.error.error_type or str(outcome.error.status_code)] += 1
                else:  # a timeout or a connection error
                    tally[type(outcome.error).__name__] += 1
        print(dict(tally))


if __name__ == "__main__":
    asyncio.run(main())
