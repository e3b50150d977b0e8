"""The side-by-side benchmark (benchmarks/compare.py) and its nginx server run and clean up.

Nothing here times anything as a pass/fail criterion: the benchmark runs with tiny sizes
and the checks are on its shape (contenders, positive numbers, no failed calls), on the
nginx configuration it writes, and on nginx being gone after it.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from benchmarks import compare
from benchmarks._nginx import NginxServer, find_nginx, nginx_quote, render_config
from benchmarks._server import DEFAULT_ROUTES, SEND_PATH

REPO = Path(__file__).resolve().parent.parent
SEND_FIXTURE = DEFAULT_ROUTES[SEND_PATH]
ODD_BODY = json.dumps(
    {
        "price": "$5 for ${item} and $$",
        "quote": 'it\'s \\ a "test"\n\twith tabs',
        "unicode": "Ada Lovelace — été ✓",
        "filler": "x" * 9_000,  # longer than one nginx parameter may be
    },
    ensure_ascii=False,
    indent=2,
).encode()


# --- the benchmark itself ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], str]:
    """One tiny run of every part against the Python fallback server, as a script."""
    out = tmp_path_factory.mktemp("compare") / "compare.json"
    command = [sys.executable, "-W", "error", str(REPO / "benchmarks" / "compare.py")]
    command += ["--quick", "--server", "python", "--rounds", "1", "--calls", "40"]
    command += ["--concurrency", "4", "--parse-repeats", "1", "--import-runs", "1"]
    command += ["--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    results: dict[str, object] = json.loads(out.read_text())
    return results, done.stdout


def test_the_smoke_run_measures_every_contender_with_positive_numbers(
    smoke_run: tuple[dict[str, object], str],
) -> None:
    results, stdout = smoke_run
    official = results["official_available"]
    expected = ["raw", "sdk", "official"] if official else ["raw", "sdk"]
    if not official:  # not installed in the test sessions: skipped with a note
        assert "note: the official SDK is skipped" in stdout
    assert results["failed_calls"] == 0
    throughput = results["throughput"]
    assert isinstance(throughput, dict)
    assert list(throughput["median_requests_per_s"]) == expected
    assert {run["contender"] for run in throughput["runs"]} == set(expected)
    for run in throughput["runs"]:
        assert run["ok"] == run["calls"] == 40
        assert run["requests_per_s"] > 0
        assert run["client_cpu_us_per_call"] > 0
    assert set(throughput["ratios"]) == {f"sdk/{name}" for name in expected if name != "sdk"}
    parse = results["parse"]
    assert isinstance(parse, dict)
    assert set(parse) == {"send", "authenticate"}
    parsers = ["raw", "sdk", "sdk_plain", *(["official"] if official else [])]
    for fixture in parse.values():
        assert list(fixture["median_us_per_reply"]) == parsers
        assert all(value > 0 for value in fixture["median_us_per_reply"].values())
    imports = results["import"]
    assert isinstance(imports, dict)
    assert imports["sdk_unwanted_modules"] == []
    assert set(imports["import_ms"]) == set(expected)
    assert "benchmarks/_server.py" in str(results["environment"])
    for line in ("RATIO sdk/raw req/s", "RATIO official/sdk parse" if official else "", "Summary"):
        assert line in stdout


def test_the_results_render_as_the_docs_table(smoke_run: tuple[dict[str, object], str]) -> None:
    results, _ = smoke_run
    block = compare.render_results(results, "assets/benchmarks.png")
    rows = [line for line in block.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| Measure | raw aiohttp | stytch-b2b-otp | official stytch |")
    assert any(row.startswith("| Throughput, requests/s") for row in rows)
    assert any(row.startswith("| Parsing the authenticate reply") for row in rows)
    assert any(row.startswith("| Import time, ms") for row in rows)
    target_rows = rows[rows.index("| Target | Wanted | Measured | Result |") + 1 :]
    assert len(target_rows) == len(results["targets"])  # type: ignore[arg-type]
    assert all(row.endswith(("| PASS |", "| MISS |", "| n/a |")) for row in target_rows)
    assert "![" in block
    assert "](assets/benchmarks.png)" in block
    page = (REPO / "docs" / "benchmarks.md").read_text()
    updated = compare.replace_results(page, block)
    assert block in updated
    assert updated.startswith(page[: page.index(compare.RESULTS_START)])
    assert updated.endswith(page[page.index(compare.RESULTS_END) :])
    assert compare.replace_results(updated, block) == updated  # idempotent
    with pytest.raises(ValueError, match="markers"):
        compare.replace_results("# no markers", block)


def test_the_targets_pass_miss_or_are_not_measured() -> None:
    rows = compare.targets(
        {
            "throughput": {
                "ratios": {
                    "sdk/raw": {"requests_per_s": {"median": 0.95}},
                    "sdk/official": {"requests_per_s": {"median": 1.1}},
                }
            },
            "parse": {"send": {"official_over_sdk": {"median": None}}},
        }
    )
    assert [row["result"] for row in rows] == ["PASS", "MISS", "n/a", "n/a"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--only", "throughput,speed"],
        ["--only", ","],
        ["--calls", "0"],
        ["--write-docs", "--quick"],
        ["--write-docs", "--only", "parse"],
        ["--server", "apache"],
    ],
)
def test_bad_options_are_refused(argv: list[str]) -> None:
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit) as exit_info:
        compare.parse_args(argv)
    assert exit_info.value.code == 2


def test_quick_sizes_yield_to_explicit_ones() -> None:
    args = compare.parse_args(["--quick", "--rounds", "4", "--only", "import,parse"])
    assert args.rounds == 4
    assert args.calls == compare.QUICK_SIZES["calls"]
    assert args.parts == ["parse", "import"]


def test_without_nginx_auto_falls_back_to_the_python_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(compare, "find_nginx", lambda: None)
    with compare.throughput_server("auto") as (url, description, _):
        assert url.startswith("http://127.0.0.1:")
        assert "benchmarks/_server.py" in description
    assert "nginx is not installed" in capsys.readouterr().out
    with (
        pytest.raises(SystemExit, match="nginx is not installed"),
        compare.throughput_server("nginx"),
    ):
        pass


# --- the bench nox session's routing of options ----------------------------------------------


def load_noxfile(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    pytest.importorskip("nox")
    # Importing the noxfile sets these when unset (and asks pyenv): keep them restored.
    monkeypatch.setenv("PYENV_VERSION", os.environ.get("PYENV_VERSION", "system") + ":")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    spec = importlib.util.spec_from_file_location("noxfile_under_test", REPO / "noxfile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def help_text(script: str) -> str:
    parse = {"benchmarks/compare.py": compare.parse_args}.get(script)
    if parse is None:
        from benchmarks import bulk

        parse = bulk.parse_args
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parse(["--help"])
    return out.getvalue()


def test_the_bench_session_routes_each_option_to_its_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    noxfile = load_noxfile(monkeypatch)
    session = SimpleNamespace(
        run=lambda python, script, option, silent: help_text(script),
    )
    split = noxfile._split_bench_args
    assert split(session, []) == ([], [])
    assert split(session, ["--quick"]) == (["--quick"], ["--quick"])
    compare_args, bulk_args = split(
        session,
        ["--quick", "--only", "throughput", "--items", "100", "--rounds=3", "--write-docs"],
    )
    assert compare_args == ["--quick", "--only", "throughput", "--rounds=3", "--write-docs"]
    assert bulk_args == ["--quick", "--items", "100"]


# --- nginx -------------------------------------------------------------------------------------


def nginx_unquote(token: str) -> str:
    """What nginx's configuration parser makes of one single-quoted parameter."""
    assert token[0] == token[-1] == "'"
    out, index = [], 1
    while index < len(token) - 1:
        char = token[index]
        if char == "\\":
            following = token[index + 1]
            out.append({"t": "\t", "r": "\r", "n": "\n"}.get(following, following))
            if following not in "tnr\"'\\":
                out[-1] = "\\" + following
            index += 2
            continue
        assert char != "'", "an unescaped quote ends the parameter early"
        out.append(char)
        index += 1
    return "".join(out)


QUOTED = r"'(?:[^'\\]|\\.)*'"


def served_body(config: str, path: str) -> str:
    """The reply body a configuration gives for ``path``, as nginx would build it."""
    values = {
        name: nginx_unquote(value)
        for name, value in re.findall(rf"geo \$(\w+) \{{ default ({QUOTED}); \}}", config, re.S)
    }
    location = config[config.index(f"location = {path} {{") :]
    reply = re.search(rf"return 200 ({QUOTED});", location, re.S)
    assert reply is not None
    text = nginx_unquote(reply[1])
    joined = re.sub(r"\$\{(\w+)\}", lambda m: values[m[1]], text)
    assert "$" not in re.sub(r"\$\{(\w+)\}", "", text), "a variable the config does not define"
    return joined


def test_nginx_quote_escapes_what_nginx_unescapes() -> None:
    text = 'it\'s a \\ "quote"\n\r\t{};# é'
    quoted = nginx_quote(text)
    assert quoted == "'it\\'s a \\\\ \"quote\"\\n\\r\\t{};# é'"
    assert nginx_unquote(quoted) == text
    for bad in ("\x00", "bell \x07", "escape \x1b[0m", "delete \x7f"):
        with pytest.raises(ValueError, match="control characters"):
            nginx_quote(bad)
    with pytest.raises(ValueError, match="too long"):
        nginx_quote("x" * 5_000)


def test_the_config_serves_the_fixture_as_one_literal(tmp_path: Path) -> None:
    body = SEND_FIXTURE.read_bytes()
    config = render_config(tmp_path, host="127.0.0.1", port=8123, routes={SEND_PATH: body})
    assert "geo " not in config  # no "$" and short enough: a plain literal
    assert served_body(config, SEND_PATH) == body.decode()
    assert "listen 127.0.0.1:8123" in config
    for directive in ("access_log off;", "worker_processes 1;", "daemon off;"):
        assert directive in config
    assert "keepalive_requests 1000000;" in config
    for written in re.findall(r"(?:_path|pid|error_log) '([^']+)'", config):
        assert Path(written).parent == tmp_path  # every file nginx writes is in the folder


def test_a_body_with_dollars_or_over_4_kib_is_served_from_literal_variables(
    tmp_path: Path,
) -> None:
    routes = {"/odd": ODD_BODY, SEND_PATH: SEND_FIXTURE.read_bytes()}
    config = render_config(tmp_path, host="::1", port=8123, routes=routes)
    assert "listen [::1]:8123" in config
    assert served_body(config, "/odd") == ODD_BODY.decode()
    assert served_body(config, SEND_PATH) == SEND_FIXTURE.read_text()
    for token in re.findall(QUOTED, config, re.S):
        assert len(token.encode()) < 4_096  # nginx's limit for one parameter
    small = render_config(tmp_path, host="127.0.0.1", port=1, routes={"/d": b'{"a":"$"}'})
    assert 'geo $stytch_bench_0_0 { default \'{"a":"$"}\'; }' in small


@pytest.mark.parametrize(
    ("host", "routes", "message"),
    [
        ("10.0.0.1", {"/a": b"{}"}, "loopback"),
        ("localhost", {"/a": b"{}"}, "loopback"),
        ("127.0.0.1", {"a": b"{}"}, "absolute path"),
        ("127.0.0.1", {"/a b": b"{}"}, "absolute path"),
        ("127.0.0.1", {"/a;": b"{}"}, "absolute path"),
        ("127.0.0.1", {"/a": b'{"bell":"\x07"}'}, "control characters"),
    ],
)
def test_the_config_refuses_what_it_cannot_serve_safely(
    tmp_path: Path, host: str, routes: dict[str, bytes], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render_config(tmp_path, host=host, port=8123, routes=routes)


def test_the_nginx_server_refuses_a_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="loopback"):
        NginxServer(host="192.0.2.1")


NGINX = find_nginx()
needs_nginx = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def post(url: str, path: str) -> tuple[int, str | None, bytes]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@needs_nginx
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_nginx_answers_with_the_fixtures_and_is_gone_after_the_block(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_bytes(ODD_BODY)
    with NginxServer(routes={SEND_PATH: SEND_FIXTURE, "/odd": odd}) as server:
        assert server.url.startswith("http://127.0.0.1:")
        pids = server.processes()
        assert len(pids) >= 2  # the master and its worker
        assert post(server.url, SEND_PATH) == (200, "application/json", SEND_FIXTURE.read_bytes())
        assert post(server.url, "/odd") == (200, "application/json", ODD_BODY)
        status, _, body = post(server.url, "/v1/b2b/otps/sms/resend")
        assert status == 404
        assert json.loads(body)["error_type"] == "not_found"
        cpu = server.cpu_seconds()
        assert cpu is not None
        assert cpu >= 0
        folder = server.folder
        assert folder is not None
        assert (folder / "nginx.conf").is_file()
    assert all(gone(pid) for pid in pids)
    assert server.pid is None
    assert not folder.exists()


@needs_nginx
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_nginx_is_stopped_when_the_block_is_interrupted() -> None:
    server = NginxServer()
    pids: list[int] = []

    def interrupted() -> None:
        with server:
            pids.extend(server.processes())
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert len(pids) >= 2
    assert all(gone(pid) for pid in pids)


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for nginx")
def test_nginx_that_cannot_start_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    fake = tmp_path / "nginx"
    fake.write_text("#!/bin/sh\necho 'nginx: [emerg] a made-up failure' >&2\nexit 1\n")
    fake.chmod(0o755)
    server = NginxServer(executable=str(fake))
    with pytest.raises(RuntimeError, match=r"did not start:\n.*a made-up failure"):
        server.start(timeout=5)
    assert server.pid is None
    assert server.folder is None
