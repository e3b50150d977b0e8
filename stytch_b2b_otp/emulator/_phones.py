"""Where a phone number is, decided by a real parser (``phonenumbers``).

The ``+1`` prefix alone is not a country: Bahamas (+1 242), Bermuda (+1 441) and other
NANP members share it with the US and Canada, and Stytch refuses several of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import phonenumbers

from stytch_b2b_otp.emulator._catalogue import EmulatorError

__all__ = ["E164", "check_country"]

_NANP = 1  # the +1 calling code, shared by 25 countries
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def check_country(phone_number: str, allowed: Collection[str]) -> str:
    """The number's region code, if SMS may go there.

    Raises:
        EmulatorError: ``invalid_phone_number`` when it cannot be a phone number,
            ``invalid_phone_number_country_code`` when its region is not allowed.
    """
    try:
        number = phonenumbers.parse(phone_number, None)
    except phonenumbers.NumberParseException:
        raise EmulatorError("invalid_phone_number") from None
    if not phonenumbers.is_possible_number(number):
        raise EmulatorError("invalid_phone_number")
    # A number valid in no region (fictional ranges such as +44 7700 900xxx, the UK's
    # numbers for drama) still belongs to its calling code's main country: the parser
    # has already tried the leading digits of the regions sharing the code.
    region = phonenumbers.region_code_for_number(number)
    if region is None and number.country_code != _NANP:  # NANP: no area code, no country
        region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    if region not in allowed:
        raise EmulatorError("invalid_phone_number_country_code")
    return str(region)
