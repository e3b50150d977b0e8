"""The package root: what ``import stytch_b2b_otp`` loads, and the names it exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import stytch_b2b_otp
from stytch_b2b_otp import _replies

FIXTURES = Path(__file__).parent / "fixtures"

# Loaded with the first reply, or when first named: not by ``import stytch_b2b_otp``.
DEFERRED = [
    "cattrs",
    "msgspec",
    "stytch_b2b_otp._fast",
    "stytch_b2b_otp._bulk",
    "stytch_b2b_otp._converter",
    "stytch_b2b_otp._member",
    "stytch_b2b_otp._organization",
    "stytch_b2b_otp._responses",
    "stytch_b2b_otp._scim",
    "stytch_b2b_otp._session",
]
# Loaded only by the code that uses them (emulator, command line, integrations).
OPTIONAL = [
    "fastapi",
    "jwt",
    "phonenumbers",
    "rich",
    "stytch_b2b_otp._cli",
    "stytch_b2b_otp._bulk_cli",
    "stytch_b2b_otp.aiohttp",
    "stytch_b2b_otp.emulator",
    "stytch_b2b_otp.fastapi",
    "stytch_b2b_otp.pytest_plugin",
]


def loaded_modules(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


def test_importing_the_package_loads_neither_the_models_nor_any_extra() -> None:
    loaded = loaded_modules("import stytch_b2b_otp")
    assert "stytch_b2b_otp._client" in loaded
    assert loaded.isdisjoint(DEFERRED + OPTIONAL), loaded & set(DEFERRED + OPTIONAL)


def test_naming_a_model_loads_it_and_the_first_reply_loads_its_reader() -> None:
    loaded = loaded_modules("from stytch_b2b_otp import Member")
    assert "stytch_b2b_otp._member" in loaded
    assert "cattrs" not in loaded
    body = (
        "from stytch_b2b_otp import SmsSendResponse\n"
        "from stytch_b2b_otp._replies import read_success\n"
        "from pathlib import Path\n"
        f"body = Path({str(FIXTURES / 'send_response.json')!r}).read_bytes()\n"
        "read_success(body, SmsSendResponse, status=200, endpoint='/send')"
    )
    # msgspec's fast path when the extra is installed, otherwise the converter.
    reader = "stytch_b2b_otp._fast" if _replies.FAST_PATH else "stytch_b2b_otp._converter"
    assert reader in loaded_modules(body)


@pytest.mark.parametrize("name", stytch_b2b_otp.__all__)
def test_every_exported_name_resolves_and_is_listed(name: str) -> None:
    value = getattr(stytch_b2b_otp, name)
    assert value is getattr(stytch_b2b_otp, name)
    assert name in dir(stytch_b2b_otp)
    if isinstance(value, type):
        assert value.__name__ == name
        assert value.__module__.startswith("stytch_b2b_otp.")


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="'stytch_b2b_otp' has no attribute 'Membr'"):
        _ = stytch_b2b_otp.Membr
    with pytest.raises(ImportError):
        exec("from stytch_b2b_otp import Membr")  # noqa: S102 (the statement is fixed text)
