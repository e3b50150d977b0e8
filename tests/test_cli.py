"""The command line: demo, emulator, send, authenticate; one-line errors, exit statuses."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stytch_b2b_otp import StytchB2BClient
from stytch_b2b_otp._cli import main
from stytch_b2b_otp.emulator import DEFAULT_SECRET, Emulator, _sessions

PHONE = "+12025550162"
JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{20,}")


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator in a background thread, its credentials in the environment."""
    with Emulator() as emu:
        monkeypatch.setenv("STYTCH_PROJECT_ID", emu.project_id)
        monkeypatch.setenv("STYTCH_SECRET", emu.secret)
        monkeypatch.setenv("STYTCH_BASE_URL", emu.base_url)
        yield emu


def _seed_member(emu: Emulator) -> tuple[str, str, str]:
    org = emu.create_organization(name="Acme", mfa_policy="REQUIRED_FOR_ALL")
    member = emu.create_member(org.organization_id, email_address="ada@acme.test")
    ist = emu.create_intermediate_session(org.organization_id, member.member_id)
    return org.organization_id, member.member_id, ist


def _send_first_code(emu: Emulator) -> tuple[str, str, str]:
    """A seeded member who was just sent a code through the ``send`` command."""
    org_id, member_id, ist = _seed_member(emu)
    argv = [
        "send",
        *_ids(org_id, member_id),
        "--phone",
        PHONE,
        f"--intermediate-session-token={ist}",
    ]
    assert main(argv) == 0
    return org_id, member_id, ist


def _exit_status(argv: list[str]) -> int | str | None:
    """What the command exits with, whether argparse exits or main() returns."""
    try:
        return main(argv)
    except SystemExit as exited:
        return exited.code


def _ids(org_id: str, member_id: str) -> list[str]:
    return ["--organization-id", org_id, "--member-id", member_id]


def _subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STYTCH_")}
    env["PYTHONWARNINGS"] = "error"
    return env


def test_demo_completes_an_mfa_step_and_masks_every_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = (f"MARKED{i:038d}" for i in itertools.count())  # 44 characters, recognisable
    monkeypatch.setattr(_sessions, "new_token", lambda: next(tokens))
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for step in (
        "1. Emulator listening on http://127.0.0.1:",
        "4. send -> 200",
        "6. authenticate -> 200",
        "factors: magic_link/email, otp/sms",
        "7. session_jwt verified (RS256)",
        "lifetime 300 s",
        "8. The same code again -> 401 unable_to_auth_otp_code",
    ):
        assert step in out
    assert not JWT_PATTERN.search(out)
    assert not re.search(r"code \d{6}", out)
    assert "MARK… (44 chars)" in out  # the intermediate session and session tokens
    assert "MARKED" not in out
    assert "+12025550162" not in out


def test_python_dash_m_runs_the_demo_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stytch_b2b_otp", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_subprocess_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "session_jwt verified" in done.stdout
    assert done.stderr == ""


def test_send_prints_the_member_and_masks_the_phone(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    org_id, member_id, ist = _seed_member(emulator)
    argv = [
        "send",
        *_ids(org_id, member_id),
        "--phone",
        PHONE,
        f"--intermediate-session-token={ist}",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"sent: code to ada@acme.test ({member_id})" in out
    assert PHONE not in out
    assert len(emulator.sent_messages) == 1


def test_send_json_prints_the_reply(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    org_id, member_id, ist = _seed_member(emulator)
    argv = [
        "send",
        *_ids(org_id, member_id),
        "--phone",
        PHONE,
        f"--intermediate-session-token={ist}",
        "--json",
    ]
    assert main(argv) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["member_id"] == member_id
    assert reply["member"]["mfa_phone_number"] == PHONE


def test_authenticate_masks_tokens_unless_asked(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    org_id, member_id, ist = _send_first_code(emulator)
    code = emulator.last_code(member_id)
    argv = [
        "authenticate",
        *_ids(org_id, member_id),
        "--code",
        code,
        f"--intermediate-session-token={ist}",
        "--json",
    ]
    capsys.readouterr()
    assert main(argv) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["session_token"].endswith("(44 chars)")
    assert not JWT_PATTERN.search(json.dumps(reply))

    token, _ = emulator.create_session(org_id, member_id)
    assert main(["send", *_ids(org_id, member_id), f"--session-token={token}"]) == 0
    step_up = [
        "authenticate",
        *_ids(org_id, member_id),
        "--code",
        emulator.last_code(member_id),
        f"--session-token={token}",
        "--show-secrets",
    ]
    capsys.readouterr()
    assert main(step_up) == 0
    out = capsys.readouterr().out
    assert f"session_token: {token}" in out
    assert JWT_PATTERN.search(out)
    assert "factors: magic_link/email, otp/sms" in out


def test_a_wrong_code_is_one_line_on_stderr_and_exit_1(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    org_id, member_id, ist = _send_first_code(emulator)
    wrong = "000000" if emulator.last_code(member_id) != "000000" else "111111"
    capsys.readouterr()
    status = main(
        [
            "authenticate",
            *_ids(org_id, member_id),
            "--code",
            wrong,
            f"--intermediate-session-token={ist}",
        ]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1
    assert "404 otp_code_not_found" in err
    assert wrong not in err
    assert ist not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["send", "--organization-id", "o", "--member-id", "m", "--phone", "12345"],
            "mfa_phone_number",
        ),
        (
            [
                "authenticate",
                "--organization-id",
                "o",
                "--member-id",
                "m",
                "--code",
                "12ab56",
                "--session-token",
                "t",
            ],
            "code",
        ),
    ],
)
def test_bad_input_is_a_usage_error_before_any_call(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1
    assert emulator.calls("send") == emulator.calls("authenticate") == 0


def test_missing_credentials_name_the_variable(
    no_credentials_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["send", "--organization-id", "o", "--member-id", "m"]) == 2
    assert "STYTCH_PROJECT_ID" in capsys.readouterr().err


def test_an_unreachable_server_is_exit_1(
    credentials_env: None, unused_tcp_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "send",
        "--organization-id",
        "o",
        "--member-id",
        "m",
        "--base-url",
        f"http://127.0.0.1:{unused_tcp_port}",
    ]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "connect" in err.lower()
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "is not JSON"),
        ('{"organizations": [{"name": "A", "colour": "red"}]}', "organizations[0]: unknown"),
        (
            '{"organizations": [{"name": "Acme", "members": [{"email_address": "x"}]}]}',
            "organizations[0].members[0]: email_address",
        ),
        (
            json.dumps(
                {
                    "organizations": [
                        {"name": "Acme", "members": [{"email_address": "a@b.c", "roles": 5}]}
                    ]
                }
            ),
            "organizations[0].members[0]: roles must be a list of strings",
        ),
        (
            '{"organizations": [{"name": "Acme", "allowed_mfa_methods": 7}]}',
            "organizations[0]: allowed_mfa_methods must be a list of strings",
        ),
        ('{"organizations": {"name": "Acme"}}', "organizations must be a list of objects"),
    ],
)
def test_a_bad_seed_file_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(content)
    assert main(["emulator", "--seed", str(seed)]) == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["emulator", "--port", "70000"], "'70000' is not a port"),
        (["emulator", "--port", "-5"], "'-5' is not a port"),
        (["emulator", "--host", "0.0.0.0"], "needs a secret of your own"),  # noqa: S104
        (["emulator", "--host", ""], "host must not be empty"),
    ],
)
def test_where_to_serve_is_checked_with_one_line(
    no_credentials_env: None, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert _exit_status(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1


def test_a_missing_seed_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", "--seed", str(tmp_path / "absent.json")]) == 2
    assert "cannot read seed file" in capsys.readouterr().err


def test_a_port_in_use_is_one_line(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    port = emulator.base_url.rsplit(":", 1)[1]
    assert main(["emulator", "--port", port]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_without_the_extra_the_demo_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['jwt'] = None\n"
        "from stytch_b2b_otp._cli import main\nsys.exit(main(['demo']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=_subprocess_env(),
        check=False,
    )
    assert done.returncode == 2
    assert "pip install 'stytch-b2b-otp[emulator]'" in done.stderr
    assert "Traceback" not in done.stderr


def _start_emulator(tmp_path: Path) -> tuple[subprocess.Popen[str], list[str]]:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "organizations": [
                    {
                        "name": "Acme",
                        "slug": "acme",
                        "members": [{"email_address": "ada@acme.test", "mfa_phone_number": PHONE}],
                    }
                ]
            }
        )
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "stytch_b2b_otp", "emulator", "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_subprocess_env(),
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    return process, lines


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_the_emulator_command_serves_seeded_data_until_signalled(
    tmp_path: Path, signum: signal.Signals
) -> None:
    process, lines = _start_emulator(tmp_path)
    try:
        base_url = lines[0].rsplit(" ", 1)[1]
        assert base_url.startswith("http://127.0.0.1:")
        assert f"  STYTCH_SECRET={DEFAULT_SECRET}" in lines
        org_id = next(line.split(": ")[1] for line in lines if "organization acme" in line)
        member_id = next(line.split(": ")[1] for line in lines if "member ada@" in line)
        async with StytchB2BClient(
            "project-test-00000000-0000-4000-8000-000000000000",
            DEFAULT_SECRET,
            base_url=base_url,
        ) as client:
            sent = await client.otps.sms.send(organization_id=org_id, member_id=member_id)
        assert sent.member.mfa_phone_number == PHONE
    finally:
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert out.strip().endswith("emulator stopped")
    assert err == ""


def test_the_documented_emulator_quickstart_runs() -> None:
    example = Path(__file__).parent.parent / "docs" / "examples" / "emulator_quickstart.py"
    done = subprocess.run(
        [sys.executable, str(example)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_subprocess_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MFA complete: member-session-test-")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["sned"], "invalid choice: 'sned'"),
        (
            ["authenticate", "--organization-id", "o", "--member-id", "m", "--code", "123456"],
            "one of the arguments --intermediate-session-token --session-token --session-jwt",
        ),
        (
            [
                "send",
                "--organization-id",
                "o",
                "--member-id",
                "m",
                "--session-token=a",
                "--session-jwt=b",
            ],
            "not allowed with argument",
        ),
    ],
)
def test_command_line_mistakes_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert expected in err
    assert err.startswith("stytch-b2b-otp: error: ")
