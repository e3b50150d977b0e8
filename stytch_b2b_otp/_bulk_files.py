"""The files of ``stytch-b2b-otp bulk-send``: rows in (CSV or JSON Lines), results out.

RESULTS holds one JSON line per input row, appended and flushed as each row is done,
so a crash loses nothing already done. Beside it, ``RESULTS.inflight`` records each row
just before it is sent: if the process dies, the rows marked there without a result
may or may not have reached Stytch, and a rerun reports them instead of texting those
members a second time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from stytch_b2b_otp._exceptions import RequestValidationError
from stytch_b2b_otp._requests import SmsSendRequest

__all__ = ["COLUMNS", "InputError", "Journal", "Row", "read_rows"]

REQUIRED = ("organization_id", "member_id")
COLUMNS = (*REQUIRED, "mfa_phone_number", "locale", "intermediate_session_token")


class InputError(Exception):
    """The input cannot be read at all (not a bad row: a bad file)."""


@attrs.frozen
class Row:
    """One input row: its line number, and its request or why it has none."""

    line: int
    member_id: str
    request: SmsSendRequest | None
    problem: str | None = None


def read_rows(path: Path) -> Iterator[Row]:
    """The rows of a CSV (with a header) or JSON Lines file, lazily.

    JSON Lines is recognised by the ``.jsonl``/``.ndjson`` suffix or a first character
    of ``{``; anything else is CSV.

    Raises:
        InputError: The file cannot be opened, or its CSV header is wrong.
    """
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    with handle:
        first = handle.read(1)
        handle.seek(0)
        if path.suffix.lower() in (".jsonl", ".ndjson") or first == "{":
            yield from _json_lines(handle)
        else:
            yield from _csv_rows(handle, path)


def _csv_rows(handle: IO[str], path: Path) -> Iterator[Row]:
    reader = csv.DictReader(handle)
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing:
        problems = [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        problems += [f"missing column(s) {', '.join(missing)}"] if missing else []
        raise InputError(f"{path}: {'; '.join(problems)} (columns: {', '.join(COLUMNS)})")
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if None in record:
            yield _bad(start, record, "has more fields than the header")
            continue
        yield _row(start, {key: value for key, value in record.items() if value})


def _json_lines(handle: IO[str]) -> Iterator[Row]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError:
            yield _bad(number, {}, "is not valid JSON")
            continue
        if not isinstance(record, dict):
            yield _bad(number, {}, "is not a JSON object")
            continue
        unknown = sorted(set(record) - set(COLUMNS))
        if unknown:
            yield _bad(number, record, f"has unknown key(s) {', '.join(unknown)}")
            continue
        yield _row(number, {key: value for key, value in record.items() if value is not None})


def _row(line: int, fields: dict[str, Any]) -> Row:
    try:
        request = SmsSendRequest(**fields)
    except RequestValidationError as error:
        return _bad(line, fields, str(error))
    except TypeError:
        return _bad(line, fields, f"needs {' and '.join(REQUIRED)}")
    return Row(line=line, member_id=request.member_id, request=request)


def _bad(line: int, fields: dict[str, Any], problem: str) -> Row:
    member_id = fields.get("member_id")
    return Row(
        line=line,
        member_id=member_id if isinstance(member_id, str) else "",
        request=None,
        problem=problem,
    )


@attrs.define
class Journal:
    """RESULTS and its in-flight marks, with what earlier runs left in them.

    Each result line says whether the row's SMS ``may_have_been_sent`` when it failed
    (a timeout or a dropped connection after sending, a 5xx, a run killed mid-flight).
    A rerun resends only rows that surely were not sent.
    """

    results: Path
    succeeded: set[int] = attrs.Factory(set)
    """Rows an earlier run sent."""
    unknown: set[int] = attrs.Factory(set)
    """Rows whose SMS may or may not have gone out: not resent unless asked."""
    interrupted: dict[int, str] = attrs.Factory(dict)
    """Rows a killed run had started, with no result: line -> member id."""
    _members: dict[int, str] = attrs.Factory(dict)
    _out: IO[str] | None = None
    _marks: IO[str] | None = None

    @property
    def inflight(self) -> Path:
        """The in-flight marks, beside RESULTS."""
        return self.results.with_name(self.results.name + ".inflight")

    def load(self) -> None:
        """Read what earlier runs recorded (the last line for a row wins).

        Raises:
            InputError: RESULTS is not this command's output.
        """
        for number, record in _records(self.results):
            try:
                line, member_id = record["row"], record["member_id"]
                ok, unsure = bool(record["ok"]), bool(record.get("may_have_been_sent"))
            except (KeyError, TypeError):
                raise InputError(f"{self.results}:{number} is not a bulk-send result") from None
            self._members[line] = member_id
            self.succeeded.discard(line)
            self.unknown.discard(line)
            if ok:
                self.succeeded.add(line)
            elif unsure:
                self.unknown.add(line)
        for _, record in _records(self.inflight):
            line = record.get("row") if isinstance(record, dict) else None
            if isinstance(line, int) and line not in self._members:
                self.interrupted[line] = str(record.get("member_id", ""))
                self._members[line] = self.interrupted[line]

    def check(self, row: Row) -> None:
        """RESULTS must belong to this input: the same member on the same line.

        Raises:
            InputError: It records another member for this line.
        """
        recorded = self._members.get(row.line)
        if recorded and row.member_id and recorded != row.member_id:
            raise InputError(
                f"{self.results} does not belong to this input: line {row.line} is "
                f"{recorded} there and {row.member_id} here"
            )

    def open(self) -> None:
        """Start appending results; the in-flight marks start afresh."""
        self._out = self.results.open("a", encoding="utf-8")
        for line, member_id in sorted(self.interrupted.items()):
            self.record(
                line,
                member_id,
                {
                    "ok": False,
                    "error_type": "interrupted",
                    "error": "an earlier run stopped while this row was in flight",
                    "may_have_been_sent": True,
                },
            )
            self.unknown.add(line)
        self._marks = self.inflight.open("w", encoding="utf-8")

    def mark(self, row: Row) -> None:
        """Note that ``row`` is about to be sent (flushed before it is)."""
        assert self._marks is not None  # noqa: S101 (open() comes first)
        self._marks.write(json.dumps({"row": row.line, "member_id": row.member_id}) + "\n")
        self._marks.flush()

    def record(self, line: int, member_id: str, result: dict[str, Any]) -> None:
        """Append one result line, flushed at once."""
        assert self._out is not None  # noqa: S101 (open() comes first)
        entry = {"row": line, "member_id": member_id, **result}
        self._out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._out.flush()

    def close(self, *, finished: bool) -> None:
        """Stop appending; a finished run leaves no in-flight marks behind."""
        for handle in (self._out, self._marks):
            if handle is not None:
                handle.close()
        if finished:
            self.inflight.unlink(missing_ok=True)


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                yield number, json.loads(text)
            except ValueError:
                if text.endswith("\n"):
                    raise InputError(f"{path}:{number} is not JSON") from None
                # A last line cut short by a crash: the row it was for is redone.
