"""``stytch-b2b-otp bulk-send``: rows in, one result line per row out, resumable."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stytch_b2b_otp import _bulk_progress
from stytch_b2b_otp._bulk_progress import PlainProgress, RichProgress
from stytch_b2b_otp._cli import main
from stytch_b2b_otp.emulator import Emulator, EmulatorConfig

COLUMNS = ["organization_id", "member_id", "mfa_phone_number"]


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """An emulator in a thread, its credentials and URL in the environment."""
    with Emulator(config=EmulatorConfig(sends_per_phone_per_hour=None)) as emulator:
        monkeypatch.setenv("STYTCH_PROJECT_ID", emulator.project_id)
        monkeypatch.setenv("STYTCH_SECRET", emulator.secret)
        monkeypatch.setenv("STYTCH_BASE_URL", emulator.base_url)
        yield emulator


def _members(emu: Emulator, count: int) -> list[list[str]]:
    org = emu.create_organization(name="Bulk")
    rows = []
    for i in range(count):
        member = emu.create_member(org.organization_id, email_address=f"m{i}@bulk.test")
        rows.append([org.organization_id, member.member_id, f"+1202555{i:04d}"])
    return rows


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _results(path: Path) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [json.loads(line) for line in handle]


def _last_per_row(path: Path) -> dict[int, dict[str, Any]]:
    return {result["row"]: result for result in _results(path)}


def test_a_csv_is_sent_row_by_row_with_one_result_line_each(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _members(emu, 40)
    source = _write_csv(tmp_path / "members.csv", rows)
    results = tmp_path / "results.jsonl"
    assert main(["bulk-send", str(source), "--output", str(results), "--concurrency", "8"]) == 0
    lines = _results(results)
    assert sorted(line["row"] for line in lines) == list(range(2, 42))  # header is line 1
    assert all(line["ok"] and line["status"] == 200 for line in lines)
    assert all(line["request_id"].startswith("request-id-test-") for line in lines)
    by_row = {line["row"]: line["member_id"] for line in lines}
    assert by_row[2] == rows[0][1]
    assert sorted(m.member_id for m in emu.sent_messages) == sorted(r[1] for r in rows)
    assert "40 sent, 0 failed" in capsys.readouterr().out
    assert not (tmp_path / "results.jsonl.inflight").exists()


def test_json_lines_with_bad_rows_record_them_failed_and_never_send_them(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, other = _members(emu, 2)
    org_id = good[0]
    lines = [
        json.dumps({"organization_id": org_id, "member_id": good[1], "mfa_phone_number": good[2]}),
        "{not json",
        json.dumps({"organization_id": org_id, "member_id": other[1], "phone": other[2]}),
        json.dumps({"organization_id": org_id, "member_id": other[1], "mfa_phone_number": "555"}),
        json.dumps({"member_id": other[1]}),
        "",
        json.dumps(["a list"]),
    ]
    source = tmp_path / "members.jsonl"
    source.write_text("\n".join(lines) + "\n")
    results = tmp_path / "results.jsonl"
    assert main(["bulk-send", str(source), "-o", str(results)]) == 3
    by_row = _last_per_row(results)
    assert sorted(by_row) == [1, 2, 3, 4, 5, 7]
    assert by_row[1]["ok"] is True
    assert {row: by_row[row]["error_type"] for row in (2, 3, 4, 5, 7)} == dict.fromkeys(
        (2, 3, 4, 5, 7), "invalid_row"
    )
    assert [m.member_id for m in emu.sent_messages] == [good[1]]
    err = capsys.readouterr().err
    for expected in (
        "line 2: is not valid JSON",
        "line 3: has unknown key(s) phone",
        "line 4: mfa_phone_number: must be E.164",
        "line 5: needs organization_id",
        "line 7: is not a JSON object",
    ):
        assert expected in err


def test_stytch_errors_are_recorded_with_type_status_and_request_id(
    emu: Emulator, tmp_path: Path
) -> None:
    rows = _members(emu, 3)
    rows[1][1] = "member-test-unknown"
    source = _write_csv(tmp_path / "members.csv", rows)
    results = tmp_path / "results.jsonl"
    assert main(["bulk-send", str(source), "-o", str(results)]) == 3
    failed = _last_per_row(results)[3]
    assert failed["ok"] is False
    assert (failed["error_type"], failed["status"]) == ("member_not_found", 404)
    assert failed["request_id"].startswith("request-id-test-")
    assert failed["may_have_been_sent"] is False


def test_a_rerun_skips_what_was_sent_and_retries_what_surely_was_not(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _members(emu, 10)
    source = _write_csv(tmp_path / "members.csv", rows)
    results = tmp_path / "results.jsonl"
    emu.inject_fault("send", status=400, error_type="bad_request", times=2)  # surely not sent
    emu.inject_fault("send", status=503, times=1)  # may have been
    assert main(["bulk-send", str(source), "-o", str(results), "--concurrency", "1"]) == 3
    first = _last_per_row(results)
    assert sum(not r["ok"] for r in first.values()) == 3
    unsure = [row for row, r in first.items() if r.get("may_have_been_sent")]
    assert len(unsure) == 1
    capsys.readouterr()

    assert main(["bulk-send", str(source), "-o", str(results)]) == 3  # one stays unsure
    assert "2 sent, 0 failed, 1 may have been sent (not resent), 7 already sent" in (
        capsys.readouterr().out
    )
    assert len(emu.sent_messages) == 9
    assert main(["bulk-send", str(source), "-o", str(results), "--resend-unknown"]) == 0
    assert len(emu.sent_messages) == 10
    assert all(r["ok"] for r in _last_per_row(results).values())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["organization_id", "member_id", "phone"], "unknown column(s) phone"),
        (["organization_id", "mfa_phone_number"], "missing column(s) member_id"),
    ],
)
def test_a_wrong_csv_header_stops_before_anything_is_sent(
    emu: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    header: list[str],
    expected: str,
) -> None:
    source = _write_csv(tmp_path / "members.csv", [["o", "m", "+12025550100"]], header)
    assert main(["bulk-send", str(source), "-o", str(tmp_path / "r.jsonl")]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1
    assert emu.calls("send") == 0


def test_results_of_another_input_are_refused(emu: Emulator, tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    first = _write_csv(tmp_path / "first.csv", _members(emu, 2))
    assert main(["bulk-send", str(first), "-o", str(results)]) == 0
    second = _write_csv(tmp_path / "second.csv", _members(emu, 2)[::-1])
    assert main(["bulk-send", str(second), "-o", str(results)]) == 2
    assert len(emu.sent_messages) == 2


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--concurrency", "0"], "'0' is not a positive whole number"),
        (["--rate", "-3"], "'-3' is not a positive number"),
        (["--rate", "nan"], "'nan' is not a positive number"),
    ],
)
def test_bad_options_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bulk-send", "in.csv", "-o", str(tmp_path / "r.jsonl"), *argv])
    assert exited.value.code == 2
    assert expected in capsys.readouterr().err


def test_a_missing_input_is_a_usage_error(
    credentials_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bulk-send", str(tmp_path / "none.csv"), "-o", str(tmp_path / "r")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_plain_progress_lines_report_rate_and_eta(
    emu: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_bulk_progress, "PLAIN_EVERY_SECONDS", 0.0)
    source = _write_csv(tmp_path / "members.csv", _members(emu, 5))
    assert main(["bulk-send", str(source), "-o", str(tmp_path / "r.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "bulk-send: 5/5 rows (100%)" in err
    assert "rows/s" in err
    assert "ETA" in err


def test_plain_progress_without_a_total() -> None:
    progress = PlainProgress(None)
    progress.advance(Counter(sent=3, failed=1))
    assert progress.line(time.monotonic()).startswith("bulk-send: 4 rows, ")


def test_the_rich_bar_shows_count_rate_and_failures(capsys: pytest.CaptureFixture[str]) -> None:
    bar = RichProgress(10)
    bar.advance(Counter(sent=6, failed=1))
    bar.close()
    err = capsys.readouterr().err
    assert "7/10" in err
    assert "1 failed" in err


def _subprocess_env(emu: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STYTCH_")}
    env.update(
        STYTCH_PROJECT_ID=emu.project_id,
        STYTCH_SECRET=emu.secret,
        STYTCH_BASE_URL=emu.base_url,
        PYTHONWARNINGS="error",
    )
    return env


def test_a_run_killed_partway_and_rerun_texts_each_member_at_most_once(
    emu: Emulator, tmp_path: Path
) -> None:
    rows = _members(emu, 300)
    source = _write_csv(tmp_path / "members.csv", rows)
    results = tmp_path / "results.jsonl"
    emu.inject_fault("send", delay=0.01, times=None)  # slow enough to be killed mid-way
    command = [
        sys.executable,
        "-m",
        "stytch_b2b_otp",
        "bulk-send",
        str(source),
        "-o",
        str(results),
        "--concurrency",
        "8",
    ]
    process = subprocess.Popen(command, env=_subprocess_env(emu), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if results.exists() and len(results.read_text().splitlines()) >= 60:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert 60 <= len(_results(results)) < 300  # killed partway
    assert (tmp_path / "results.jsonl.inflight").exists()
    emu.clear_faults()

    rerun = subprocess.run(
        command, env=_subprocess_env(emu), capture_output=True, text=True, timeout=60, check=False
    )
    assert rerun.returncode in (0, 3), rerun.stderr
    final = _last_per_row(results)
    assert sorted(final) == list(range(2, 302))  # every row accounted for
    texted = Counter(m.member_id for m in emu.sent_messages)
    assert max(texted.values()) == 1  # nobody texted twice
    ok = {r["member_id"] for r in final.values() if r["ok"]}
    interrupted = {r["member_id"] for r in final.values() if r.get("error_type") == "interrupted"}
    assert ok <= set(texted)
    assert set(texted) - ok <= interrupted
    assert len(ok) + len(interrupted) == 300
    assert rerun.returncode == (3 if interrupted else 0)
