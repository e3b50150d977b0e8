"""A local, stateful stand-in for Stytch's B2B SMS OTP endpoints, for tests and demos.

```python
from stytch_b2b_otp.emulator import Emulator

async with Emulator() as emu:
    org = emu.create_organization(name="Acme", mfa_policy="REQUIRED_FOR_ALL")
    member = emu.create_member(org.organization_id, email_address="ada@acme.test")
    ist = emu.create_intermediate_session(org.organization_id, member.member_id)
    async with emu.client() as client:
        await client.otps.sms.send(
            organization_id=org.organization_id, member_id=member.member_id,
            mfa_phone_number="+12025550162", intermediate_session_token=ist,
        )
        code = emu.last_code(member.member_id)
```

It needs the ``emulator`` extra (``pip install 'stytch-b2b-otp[emulator]'``): PyJWT with
cryptography signs session JWTs, phonenumbers tells which country a number is in.
"""

from __future__ import annotations

try:
    import cryptography  # noqa: F401
    import jwt  # noqa: F401
    import phonenumbers  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"stytch_b2b_otp.emulator needs the 'emulator' extra ({exc.name} is missing): "
        "pip install 'stytch-b2b-otp[emulator]'",
        name=exc.name,
    ) from exc

from stytch_b2b_otp.emulator._catalogue import ERROR_CATALOGUE, EmulatorError, ErrorSpec
from stytch_b2b_otp.emulator._clock import Clock
from stytch_b2b_otp.emulator._config import SUPPORTED_LOCALES, EmulatorConfig
from stytch_b2b_otp.emulator._emulator import DEFAULT_PROJECT_ID, DEFAULT_SECRET, Emulator
from stytch_b2b_otp.emulator._faults import Fault
from stytch_b2b_otp.emulator._records import SentMessage
from stytch_b2b_otp.emulator._seed import SeededMember, SeededOrganization, seed

__all__ = [
    "DEFAULT_PROJECT_ID",
    "DEFAULT_SECRET",
    "ERROR_CATALOGUE",
    "SUPPORTED_LOCALES",
    "Clock",
    "Emulator",
    "EmulatorConfig",
    "EmulatorError",
    "ErrorSpec",
    "Fault",
    "SeededMember",
    "SeededOrganization",
    "SentMessage",
    "seed",
]
