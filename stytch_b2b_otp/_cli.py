"""The ``stytch-b2b-otp`` command (also ``python -m stytch_b2b_otp``).

``demo`` runs an MFA step against the built-in emulator; ``emulator`` serves one;
``send`` and ``authenticate`` make one call each; ``bulk-send`` sends to every row of a
file, resumably. Failures are one line on stderr and a non-zero exit status, never a
traceback: 1 when the call or the server failed, 2 when the command line, the input or
the configuration is wrong, 3 when ``bulk-send`` could not send every row, 130 on
Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from stytch_b2b_otp._bulk_cli import EXIT_SOME_FAILED, run_bulk_send
from stytch_b2b_otp._bulk_files import InputError
from stytch_b2b_otp._cli_output import (
    describe_factor,
    fail,
    mask,
    masked_raw,
    say,
    when,
)
from stytch_b2b_otp._constants import PROJECT_ID_ENV, SECRET_ENV
from stytch_b2b_otp._exceptions import StytchError
from stytch_b2b_otp._redact import masked_phone
from stytch_b2b_otp._version import __version__

__all__ = ["main"]

BASE_URL_ENV = "STYTCH_BASE_URL"
EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class UsageError(Exception):
    """The command line or the environment is wrong: exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see {self.prog} --help)")
        sys.exit(EXIT_USAGE)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stytch-b2b-otp", description="Stytch B2B SMS one-time passcodes, from a shell."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("demo", help="an SMS MFA step against the built-in emulator")

    emulator = commands.add_parser(
        "emulator",
        help="serve the emulator until interrupted",
        description="Serve the emulator. Credentials: $STYTCH_PROJECT_ID and $STYTCH_SECRET "
        "when set, otherwise the emulator's public test values (printed).",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    emulator.add_argument("--port", type=_port, default=0, help="default: a free port")
    emulator.add_argument("--seed", type=Path, metavar="FILE", help="JSON seed document")

    for name, help_text in (("send", "send a code by SMS"), ("authenticate", "check a code")):
        command = commands.add_parser(
            name,
            help=help_text,
            description=f"{help_text.capitalize()}. Credentials come from ${PROJECT_ID_ENV} "
            f"and ${SECRET_ENV}; --base-url (or ${BASE_URL_ENV}) targets an emulator. "
            "Give tokens as --session-token=VALUE: a token may start with '-'.",
        )
        command.add_argument("--organization-id", required=True)
        command.add_argument("--member-id", required=True)
        if name == "send":
            command.add_argument("--phone", dest="mfa_phone_number", metavar="E164")
            command.add_argument("--locale")
        else:
            command.add_argument("--code", required=True)
            command.add_argument("--session-duration-minutes", type=int, metavar="MINUTES")
            command.add_argument("--set-mfa-enrollment", choices=("enroll", "unenroll"))
            command.add_argument(
                "--show-secrets", action="store_true", help="print tokens unmasked"
            )
        session = command.add_mutually_exclusive_group(required=name == "authenticate")
        session.add_argument("--intermediate-session-token", metavar="TOKEN")
        session.add_argument("--session-token", metavar="TOKEN")
        session.add_argument("--session-jwt", metavar="JWT")
        command.add_argument("--base-url", default=os.environ.get(BASE_URL_ENV))
        command.add_argument("--json", action="store_true", help="print the reply as JSON")
    bulk = commands.add_parser(
        "bulk-send",
        help="send codes to every row of a CSV or JSON Lines file, resumably",
        description="Send a code to every row of INPUT (CSV with a header, or JSON Lines; "
        "columns organization_id, member_id, and optionally mfa_phone_number, locale, "
        "intermediate_session_token). One JSON line per row goes to RESULTS as it "
        "finishes; a rerun with the same RESULTS skips the rows already sent and the "
        f"rows that may have been sent. Credentials from ${PROJECT_ID_ENV} and "
        f"${SECRET_ENV}. Exit status 0 when every row was sent, {EXIT_SOME_FAILED} when "
        "some were not.",
    )
    bulk.add_argument("input", type=Path, metavar="INPUT")
    bulk.add_argument("--output", "-o", type=Path, required=True, metavar="RESULTS")
    bulk.add_argument("--concurrency", type=_positive_int, default=32, metavar="N")
    bulk.add_argument("--rate", type=_positive_float, metavar="R", help="requests per second")
    bulk.add_argument(
        "--resend-unknown",
        action="store_true",
        help="also resend rows whose SMS may have gone out (a member may get two)",
    )
    bulk.add_argument("--base-url", default=os.environ.get(BASE_URL_ENV))
    return parser


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            from stytch_b2b_otp._demo import run_demo

            asyncio.run(run_demo())
        elif args.command == "emulator":
            asyncio.run(_serve(args))
        elif args.command == "bulk-send":
            return asyncio.run(run_bulk_send(args))
        else:
            asyncio.run(_call(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ImportError as error:
        fail(
            f"{error} (pip install 'stytch-b2b-otp[emulator]')"
            if "extra" not in str(error)
            else str(error)
        )
        return EXIT_USAGE
    except (UsageError, InputError, ValueError) as error:
        fail(str(error))
        return EXIT_USAGE
    except (StytchError, OSError) as error:
        fail(str(error))
        return EXIT_FAILED
    return 0


async def _call(args: argparse.Namespace) -> None:
    from stytch_b2b_otp._client import StytchB2BClient

    fields: dict[str, Any] = {
        key: value
        for key in (
            "organization_id",
            "member_id",
            "intermediate_session_token",
            "session_token",
            "session_jwt",
            "mfa_phone_number",
            "locale",
            "code",
            "session_duration_minutes",
            "set_mfa_enrollment",
        )
        if (value := getattr(args, key, None)) is not None
    }
    async with StytchB2BClient(base_url=args.base_url) as client:
        if args.command == "send":
            sent = await client.otps.sms.send(**fields)
            if args.json:
                say(json.dumps(sent.raw, indent=2))
                return
            phone = masked_phone(sent.member.mfa_phone_number)
            say(f"sent: code to {sent.member.email_address} ({sent.member_id}) at {phone}")
            say(f"request_id: {sent.request_id}")
            return
        auth = await client.otps.sms.authenticate(**fields)
    if args.json:
        say(json.dumps(masked_raw(auth.raw, show_secrets=args.show_secrets), indent=2))
        return
    show = (lambda value: value) if args.show_secrets else mask
    say(f"authenticated: {auth.member.email_address} ({auth.member_id})")
    say(f"request_id: {auth.request_id}")
    if auth.member_session is not None:
        session = auth.member_session
        say(
            f"session: {session.member_session_id}, expires "
            f"{when(session.expires_at, session.last_accessed_at)}"
        )
        say("factors: " + ", ".join(describe_factor(f) for f in session.authentication_factors))
    say(f"session_token: {show(auth.session_token)}")
    say(f"session_jwt: {show(auth.session_jwt)}")


async def _serve(args: argparse.Namespace) -> None:
    from stytch_b2b_otp.emulator import (
        DEFAULT_PROJECT_ID,
        DEFAULT_SECRET,
        Emulator,
        seed,
    )

    document = _read_seed(args.seed) if args.seed else None
    project_id = os.environ.get(PROJECT_ID_ENV) or DEFAULT_PROJECT_ID
    secret = os.environ.get(SECRET_ENV) or DEFAULT_SECRET
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not on Windows: there Ctrl-C arrives as KeyboardInterrupt, handled by main().
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        async with Emulator(project_id, secret, host=args.host, port=args.port) as emu:
            try:
                seeded = seed(emu, document) if document is not None else []
            except ValueError as error:
                raise UsageError(f"seed file {args.seed}: {error}") from None
            say(f"Stytch B2B SMS OTP emulator listening on {emu.base_url}")
            say(f"  {PROJECT_ID_ENV}={project_id}")
            shown = secret if secret == DEFAULT_SECRET else "(as set in your environment)"
            say(f"  {SECRET_ENV}={shown}")
            say(f"  {BASE_URL_ENV}={emu.base_url}    # StytchB2BClient(base_url=...)")
            say(f"  JWKS: {emu.jwks_url}")
            say(f"  admin API: {emu.base_url}/_emulator/ (same credentials)")
            for org in seeded:
                say(f"  organization {org.slug}: {org.organization_id}")
                for member in org.members:
                    say(f"    member {member.email_address}: {member.member_id}")
            say("Press Ctrl-C to stop.")
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(signum)
    say("emulator stopped")


def _read_seed(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read seed file {path}: {error.strerror}") from None
    except ValueError as error:
        raise UsageError(f"seed file {path} is not JSON: {error}") from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
