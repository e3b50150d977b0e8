"""Why a send is never retried blindly: Stytch may fail *after* texting the member."""

import asyncio

from stytch_b2b_otp import AuthenticationError, InternalServerError, RetryPolicy
from stytch_b2b_otp.emulator import Emulator


async def main() -> None:
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme")
        member = emu.create_member(
            org.organization_id, email_address="ada@acme.test", mfa_phone_number="+12025550162"
        )
        org_id, member_id = org.organization_id, member.member_id

        # Stytch texts the member, then its reply is lost: a 500 after the work was done.
        emu.inject_fault("send", status=500, after_processing=True)
        async with emu.client() as client:  # the default RetryPolicy()
            try:
                await client.otps.sms.send(organization_id=org_id, member_id=member_id)
            except InternalServerError as error:
                print(f"default policy: {error.status_code} raised, not retried")
        print("SMS sent:", len(emu.sent_messages))

        # What a blind retry would have done: a second SMS, and the first code is dead.
        emu.inject_fault("send", status=500, after_processing=True)
        retrying = RetryPolicy(retry_server_errors=True, initial_delay=0.01)
        async with emu.client(retry=retrying) as client:
            before = len(emu.sent_messages)
            await client.otps.sms.send(organization_id=org_id, member_id=member_id)
            print("retrying 5xx: SMS sent for one call:", len(emu.sent_messages) - before)
            first_code = emu.sent_messages[-2].code  # the member types the first SMS's code
            try:
                await client.otps.sms.authenticate(
                    organization_id=org_id,
                    member_id=member_id,
                    code=first_code,
                    intermediate_session_token=emu.create_intermediate_session(org_id, member_id),
                )
            except AuthenticationError as error:
                print("the first code:", error.error_type)


if __name__ == "__main__":
    asyncio.run(main())
