"""The frameworks are optional: the package root never imports them."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_importing_the_package_imports_no_web_framework() -> None:
    done = run(
        "import sys, stytch_b2b_otp, stytch_b2b_otp.aiohttp\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'pydantic', 'httpx',"
        " 'stytch_b2b_otp.fastapi') if m in sys.modules))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("module", ["fastapi", "starlette"])
def test_without_fastapi_the_error_names_the_extra(module: str) -> None:
    done = run(f"import sys; sys.modules[{module!r}] = None; import stytch_b2b_otp.fastapi")
    assert done.returncode == 1
    assert "pip install 'stytch-b2b-otp[fastapi]'" in done.stderr
