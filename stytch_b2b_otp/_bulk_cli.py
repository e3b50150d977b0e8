"""``stytch-b2b-otp bulk-send INPUT --output RESULTS``: send to every row, resumably.

Rows are read lazily and sent through ``send_stream``; each row's result is appended to
RESULTS as soon as it is known. A rerun with the same RESULTS skips the rows already
sent, and never resends a row whose SMS may have gone out (unless told to), so an
interrupted batch does not text anyone twice.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stytch_b2b_otp._bulk import SendOutcome
from stytch_b2b_otp._bulk_files import Journal, Row, read_rows
from stytch_b2b_otp._bulk_progress import open_progress
from stytch_b2b_otp._cli_output import say, warn
from stytch_b2b_otp._client import StytchB2BClient
from stytch_b2b_otp._exceptions import (
    APIConnectionError,
    APIStatusError,
    InternalServerError,
    InvalidResponseError,
    StytchError,
)
from stytch_b2b_otp._requests import SmsSendRequest

__all__ = ["EXIT_SOME_FAILED", "run_bulk_send"]

EXIT_SOME_FAILED = 3


def may_have_been_sent(error: StytchError) -> bool:
    """Whether Stytch may have texted the member although the call failed."""
    if isinstance(error, APIConnectionError):
        return error.request_sent
    return isinstance(error, (InternalServerError, InvalidResponseError))


def _result(outcome: SendOutcome) -> dict[str, Any]:
    if outcome.response is not None:
        return {
            "ok": True,
            "request_id": outcome.response.request_id,
            "status": outcome.response.status_code,
        }
    error = outcome.error
    assert error is not None  # noqa: S101 (an outcome has one or the other)
    return {
        "ok": False,
        "request_id": getattr(error, "request_id", None),
        "error_type": getattr(error, "error_type", None) or type(error).__name__,
        "status": error.status_code if isinstance(error, APIStatusError) else None,
        "error": str(error),
        "may_have_been_sent": may_have_been_sent(error),
    }


def _count_rows(path: Path) -> int | None:
    """About how many rows there are (for the progress bar); ``None`` if unknown."""
    try:
        with path.open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
    except OSError:
        return None
    is_csv = path.suffix.lower() not in (".jsonl", ".ndjson")
    with path.open("rb") as handle:
        is_csv = is_csv and not handle.read(1).startswith(b"{")
    return max(lines - 1, 0) if is_csv else lines


async def run_bulk_send(args: argparse.Namespace) -> int:
    """Run the command; the exit status (0 when every row was sent)."""
    journal = Journal(args.output)
    journal.load()
    counts: Counter[str] = Counter()
    pending: dict[int, Row] = {}
    progress = open_progress(_count_rows(args.input))

    def requests() -> Iterator[SmsSendRequest]:
        for row in read_rows(args.input):
            journal.check(row)
            if row.line in journal.succeeded:
                counts["skipped"] += 1
            elif row.line in journal.unknown and not args.resend_unknown:
                counts["unknown"] += 1
            elif row.request is None:
                warn(f"line {row.line}: {row.problem}; not sent")
                journal.record(
                    row.line,
                    row.member_id,
                    {
                        "ok": False,
                        "error_type": "invalid_row",
                        "status": None,
                        "error": row.problem,
                        "may_have_been_sent": False,
                    },
                )
                counts["failed"] += 1
            else:
                journal.mark(row)
                pending[counts["yielded"]] = row  # the outcome's index
                counts["yielded"] += 1
                yield row.request
                continue
            progress.advance(counts)

    journal.open()
    finished = False
    started = time.monotonic()
    try:
        async with StytchB2BClient(base_url=args.base_url) as client:
            stream = client.otps.sms.send_stream(
                requests(), concurrency=args.concurrency, rate_limit=args.rate
            )
            async with contextlib.aclosing(stream):
                async for outcome in stream:
                    row = pending.pop(outcome.index)
                    result = _result(outcome)
                    journal.record(row.line, row.member_id, result)
                    if result["ok"]:
                        counts["sent"] += 1
                    elif result.get("may_have_been_sent"):
                        counts["unknown"] += 1
                    else:
                        counts["failed"] += 1
                    progress.advance(counts)
        finished = True
    finally:
        progress.close()
        journal.close(finished=finished)
    elapsed = time.monotonic() - started
    say(
        f"bulk-send: {counts['sent']} sent, {counts['failed']} failed, "
        f"{counts['unknown']} may have been sent (not resent), {counts['skipped']} already "
        f"sent before, in {elapsed:.1f} s; results in {args.output}"
    )
    return 0 if counts["failed"] == counts["unknown"] == 0 else EXIT_SOME_FAILED
