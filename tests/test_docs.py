"""The documentation says what the code does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from stytch_b2b_otp.emulator import ERROR_CATALOGUE, EmulatorConfig

DOCS = Path(__file__).parent.parent / "docs"
ROW = re.compile(r"^\| `([a-z_]+)` \| (\d{3}) \| (\w+) \| (.+?) \| (.+) \|$")


def test_the_error_catalogue_page_is_the_code_table() -> None:
    rows = [ROW.match(line) for line in (DOCS / "emulator.md").read_text().splitlines()]
    documented = {
        match[1]: (int(match[2]), match[3], match[4], match[5]) for match in rows if match
    }
    in_code = {
        error_type: (spec.status, spec.evidence, spec.when, spec.message)
        for error_type, spec in ERROR_CATALOGUE.items()
    }
    assert documented == in_code


def test_the_configuration_table_lists_every_field_with_its_default() -> None:
    page = (DOCS / "emulator.md").read_text()
    defaults = EmulatorConfig()
    for name in (
        "code_ttl_seconds",
        "intermediate_session_ttl_seconds",
        "default_session_minutes",
        "jwt_ttl_seconds",
        "lock_threshold",
        "lock_seconds",
        "sends_per_phone_per_hour",
    ):
        assert f"| `{name}` | {getattr(defaults, name)} |" in page
    for locale in defaults.supported_locales:
        assert f" {locale}" in page


SNIPPET = re.compile(r'^--8<-- "([^"]+)"$')


def test_every_included_file_exists_and_every_include_is_well_formed() -> None:
    includes = []
    for page in DOCS.glob("*.md"):
        for line in page.read_text().splitlines():
            if line.startswith("--8"):
                match = SNIPPET.match(line)
                assert match, f"{page.name}: malformed include {line!r}"
                includes.append(match[1])
    assert "examples/emulator_quickstart.py" in includes
    assert "examples/test_mfa_with_emulator.py" in includes
    assert "examples/bulk_send.py" in includes
    for path in includes:
        assert (DOCS / path).exists() or (DOCS.parent / path).exists(), path


def test_the_bulk_example_runs_and_sends_to_everyone() -> None:
    done = subprocess.run(
        [sys.executable, str(DOCS / "examples" / "bulk_send.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "{'sent': 200}"
