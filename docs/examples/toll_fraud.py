"""Toll-fraud guards in front of client.otps.sms.send: a country allowlist and rate limits.

Attackers who can make your service text numbers they own (premium-rate numbers, or
ranges that pay them a share) earn money with every SMS you pay for. Check the country
with a real phone-number parser, and limit how often a member, a number and a client
address may ask for a code, before anything reaches Stytch.
"""

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable

import phonenumbers

from stytch_b2b_otp import BadRequestError, StytchB2BClient
from stytch_b2b_otp.emulator import Emulator

ALLOWED_REGIONS = frozenset({"US", "CA"})  # the countries you serve, no more


class SendRefusedError(Exception):
    """The guard refused to ask Stytch for an SMS; nothing was sent."""


class RateLimiter:
    """At most `limit` requests per key in any `window` seconds (sliding, in memory).

    One process only: with several workers, keep the counts in a shared store (Redis).
    Refused requests count too, so hammering does not help.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self._clock()
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        hits.append(now)
        return len(hits) <= self.limit


def region_of(phone: str) -> str | None:
    """The ISO region of an E.164 number (`+1 242...` is BS, not US), or None."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.region_code_for_number(number)


class GuardedSender:
    """`client.otps.sms.send`, behind a country allowlist and three rate limits."""

    def __init__(self, client: StytchB2BClient) -> None:
        self.client = client
        self.per_member = RateLimiter(limit=3, window=3600)
        self.per_phone = RateLimiter(limit=3, window=3600)
        self.per_client_ip = RateLimiter(limit=10, window=3600)

    async def send(
        self, *, organization_id: str, member_id: str, phone: str, ist: str, client_ip: str
    ) -> None:
        if region_of(phone) not in ALLOWED_REGIONS:
            raise SendRefusedError("we cannot text numbers in that country")
        allowed = [
            self.per_client_ip.allow(client_ip),
            self.per_member.allow(member_id),
            self.per_phone.allow(phone),
        ]
        if not all(allowed):
            raise SendRefusedError("too many codes requested; please wait before asking again")
        await self.client.otps.sms.send(
            organization_id=organization_id,
            member_id=member_id,
            mfa_phone_number=phone,
            intermediate_session_token=ist,  # sends only after a primary login
        )


async def main() -> None:
    async with Emulator() as emu:  # stands in for Stytch (US and CA allowed, as by default)
        org = emu.create_organization(name="Acme")
        ada = emu.create_member(org.organization_id, email_address="ada@acme.test")
        eve = emu.create_member(org.organization_id, email_address="eve@acme.test")
        org_id = org.organization_id

        async with emu.client() as client:
            guard = GuardedSender(client)

            async def attempt(member_id: str, phone: str) -> str:
                ist = emu.create_intermediate_session(org_id, member_id)
                try:
                    await guard.send(
                        organization_id=org_id,
                        member_id=member_id,
                        phone=phone,
                        ist=ist,
                        client_ip="203.0.113.7",
                    )
                except SendRefusedError as refused:
                    return f"refused: {refused}"
                return "sent"

            print("US number:", await attempt(ada.member_id, "+12025550162"))
            print("Bahamas (+1 242):", await attempt(eve.member_id, "+12423570000"))
            for _ in range(2):
                await attempt(ada.member_id, "+12025550162")
            print("4th code within the hour:", await attempt(ada.member_id, "+12025550162"))
            print("requests that reached Stytch:", emu.calls("send"))

            # Stytch refuses countries your project has not enabled, too: the guard is
            # a second line, and it spares you the request.
            try:
                await client.otps.sms.send(
                    organization_id=org_id,
                    member_id=eve.member_id,
                    mfa_phone_number="+12423570000",
                    intermediate_session_token=emu.create_intermediate_session(
                        org_id, eve.member_id
                    ),
                )
            except BadRequestError as error:
                print("Stytch without the guard:", error.error_type)


if __name__ == "__main__":
    asyncio.run(main())
