"""The documentation says what the code does."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import importlib.util
import inspect
import io
import itertools
import json
import logging
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import textwrap
import typing
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from types import CodeType, SimpleNamespace
from typing import Any

import aiohttp
import pytest
import trustme
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

import stytch_b2b_otp
import stytch_b2b_otp.emulator
from benchmarks import bulk as bulk_benchmark
from benchmarks import compare as compare_benchmark
from stytch_b2b_otp import (
    APIStatusError,
    InvalidResponseError,
    RetryPolicy,
    StytchB2BClient,
    StytchError,
    _cli,
    _constants,
)
from stytch_b2b_otp._replies import error_class_for
from stytch_b2b_otp._retry import Failure, FailureKind
from stytch_b2b_otp._transport import DEFAULT_TIMEOUT, _map_failure, resolve_timeout
from stytch_b2b_otp.emulator import ERROR_CATALOGUE, Emulator, EmulatorConfig, seed

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
    for example in ("quickstart", "toll_fraud", "no_blind_retry", "tracing"):
        assert f"examples/{example}.py" in includes
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


# --- Every code block on the site is an included, tested file, or checked here ---------
#
# A block's language says how it is checked:
#   an include (--8<-- "examples/x.py") of a file that a test runs;
#   python: compiled, its stytch_b2b_otp imports, attributes and keyword arguments
#     checked against the code, and on the pages in EXECUTED_PAGES run against an
#     emulator;
#   bash: each command names a real extra, subcommand, option, nox session or file;
#   json: parses (as one document or as JSON Lines), and a seed document seeds;
#   text: the error tree (checked against the classes) or the output of the example
#     included just before it (checked by running it).
# Any other language fails until this module learns to check it. Further down: the
# tables that mirror code (error catalogue, retries, timeouts), the API reference (every
# public name, signatures as Python builds them, code in the docstrings it shows), and
# the class names and `client.`/`emu.` attributes named in the prose.

REPO = DOCS.parent
FENCE_OPEN = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)\s*$")
INCLUDE = re.compile(r'^--8<-- "(?P<path>[^"]+)"$')
CHECKED_LANGUAGES = {"python", "bash", "json", "text"}


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    text: str

    @property
    def include(self) -> str | None:
        lines = self.text.strip().splitlines()
        match = INCLUDE.match(lines[0]) if len(lines) == 1 else None
        return match["path"] if match else None

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


def read_blocks(page: Path) -> list[Block]:
    blocks = []
    lines = page.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE_OPEN.match(lines[index])
        index += 1
        if not opening:
            continue
        indent, start, body = opening["indent"], index, []
        while lines[index] != f"{indent}```":
            body.append(lines[index][len(indent) :])
            index += 1
        index += 1
        blocks.append(Block(page.name, start, opening["lang"], "\n".join(body) + "\n"))
    return blocks


PAGES = sorted(DOCS.glob("*.md"))
BLOCKS = [block for page in PAGES for block in read_blocks(page)]


def blocks_of(lang: str) -> list[Block]:
    return [block for block in BLOCKS if block.lang == lang and block.include is None]


def test_every_code_block_is_an_include_or_in_a_checked_language() -> None:
    assert len(BLOCKS) > 20
    unchecked = [
        f"{block}: {block.lang or 'no language'}"
        for block in BLOCKS
        if block.include is None and block.lang not in CHECKED_LANGUAGES
    ]
    assert unchecked == []


# Examples this module runs: test_example_runs, and the bulk example's test above.
EXAMPLE_CHECKS: dict[str, Callable[[str], None]] = {}


def example_check(name: str) -> Callable[[Callable[[str], None]], Callable[[str], None]]:
    def register(check: Callable[[str], None]) -> Callable[[str], None]:
        EXAMPLE_CHECKS[name] = check
        return check

    return register


def test_every_included_example_is_run_by_a_test() -> None:
    other_tests = "\n".join(
        path.read_text()
        for path in (REPO / "tests").rglob("*.py")
        if path.name != Path(__file__).name
    )
    for block in BLOCKS:
        path = block.include
        if path is None or not path.startswith("examples/"):
            continue
        name = Path(path).name
        run_here = name in EXAMPLE_CHECKS or name == "bulk_send.py"
        assert run_here or Path(path).stem in other_tests, f"{block}: no test runs {path}"


# --- python blocks -----------------------------------------------------------------------

TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def compile_block(block: Block) -> CodeType:
    code: CodeType = compile(
        block.text, str(block), "exec", flags=TOP_LEVEL_AWAIT, dont_inherit=True
    )
    return code


def parse_block(block: Block) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | TOP_LEVEL_AWAIT
    tree: ast.Module = compile(block.text, str(block), "exec", flags=flags, dont_inherit=True)
    return tree


def surface() -> dict[str, object]:
    """An object of each kind a block's names may stand for (no I/O: nothing started)."""
    client = StytchB2BClient("project-test-docs", "secret-docs")
    return {"client": client, "sms": client.otps.sms, "emulator": Emulator()}


SURFACE = surface()
KIND_OF_CLASS: dict[object, str] = {StytchB2BClient: "client", Emulator: "emulator"}


class ApiUse(ast.NodeVisitor):
    """Every SDK name a block imports, and every attribute and keyword it uses on them.

    Names are tracked when they come from an import of stytch_b2b_otp, from calling
    `StytchB2BClient(...)`, `Emulator(...)`, `with_options(...)` or `emu.client(...)`,
    from an annotation, or are the conventional `client` and `emu`.
    """

    def __init__(self) -> None:
        self.objects: dict[str, Any] = {}
        self.kinds = {
            "client": "client",
            "stytch_client": "client",
            "emu": "emulator",
            "stytch_emulator": "emulator",
        }
        self.problems: list[str] = []

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module_name = node.module or ""
        if module_name.split(".")[0] != "stytch_b2b_otp":
            return
        module = importlib.import_module(module_name)
        for alias in node.names:
            if hasattr(module, alias.name):
                self.objects[alias.asname or alias.name] = getattr(module, alias.name)
            else:
                self.problems.append(f"{module_name} has no {alias.name}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == "stytch_b2b_otp":
                importlib.import_module(alias.name)

    def kind_of(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.kinds.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            made = self.objects.get(node.func.id)
            if inspect.isfunction(made):  # a helper such as get_stytch_client(request)
                made = typing.get_type_hints(made).get("return")
            return KIND_OF_CLASS.get(made)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("with_options", "client"):
                return "client" if self.kind_of(node.func.value) else None
            return None
        if isinstance(node, ast.Attribute) and node.attr == "sms":
            otps = node.value
            if isinstance(otps, ast.Attribute) and otps.attr == "otps":
                return "sms" if self.kind_of(otps.value) == "client" else None
        return None

    def bind(self, target: ast.expr | None, value: ast.expr) -> None:
        kind = self.kind_of(value)
        if isinstance(target, ast.Name) and kind is not None:
            self.kinds[target.id] = kind

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.bind(target, node.value)
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        for item in node.items:
            self.bind(item.optional_vars, item.context_expr)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        annotation = node.annotation
        if isinstance(annotation, ast.Name):
            made = self.objects.get(annotation.id)
            if typing.get_origin(made) is typing.Annotated:  # a FastAPI dependency alias
                made = typing.get_args(made)[0]
            kind = KIND_OF_CLASS.get(made)
            if kind is not None:
                self.kinds[node.arg] = kind

    def visit_Attribute(self, node: ast.Attribute) -> None:
        kind = self.kind_of(node.value)
        if kind is not None and not hasattr(SURFACE[kind], node.attr):
            self.problems.append(f"{kind} has no attribute {node.attr!r}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function: Any = None
        if isinstance(node.func, ast.Name):
            function = self.objects.get(node.func.id)
        elif isinstance(node.func, ast.Attribute):
            kind = self.kind_of(node.func.value)
            if kind is not None:
                function = getattr(SURFACE[kind], node.func.attr, None)
        if callable(function):
            self.check_keywords(function, node)
        self.generic_visit(node)

    def check_keywords(self, function: Any, node: ast.Call) -> None:
        parameters = inspect.signature(function).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return
        name = getattr(function, "__qualname__", repr(function))
        for keyword in node.keywords:
            if keyword.arg is not None and keyword.arg not in parameters:
                self.problems.append(f"{name}() takes no argument {keyword.arg!r}")


def api_problems(block: Block) -> list[str]:
    checker = ApiUse()
    checker.visit(parse_block(block))
    return checker.problems


@pytest.mark.parametrize("block", blocks_of("python"), ids=str)
def test_python_blocks_compile_and_use_only_real_api(block: Block) -> None:
    compile_block(block)
    assert api_problems(block) == []


def test_the_api_check_catches_what_does_not_exist() -> None:
    made_up = Block(
        "made_up.md",
        1,
        "python",
        "from stytch_b2b_otp import RetryPolicy, StytchB2BClient, SmsResender\n"
        "async with StytchB2BClient(retries=3) as client:\n"
        "    await client.otps.sms.send(organization_id='o', member_id='m', phone='+1')\n"
        "    await client.otps.sms.resend(organization_id='o')\n"
        "    await client.with_options(timeout=2).otps.sms.send(org='o')\n"
        "    client.pool_size\n"
        "RetryPolicy(max_tries=1)\n",
    )
    assert len(api_problems(made_up)) == 7, api_problems(made_up)


def get_client(request: object) -> StytchB2BClient:
    raise NotImplementedError


def test_the_api_check_follows_dependency_aliases_and_helpers() -> None:
    checker = ApiUse()
    dependency = typing.Annotated[StytchB2BClient, "a FastAPI dependency"]
    checker.objects.update(get_client=get_client, Stytch=dependency)
    checker.visit(
        ast.parse(
            "get_client(request).otps.sms.send(org='o')\n"
            "async def handler(stytch: Stytch) -> None:\n"
            "    await stytch.otps.sms.authenticate(cod='1')\n"
        )
    )
    assert len(checker.problems) == 2, checker.problems


# Pages whose python blocks also run, each block in a fresh namespace holding what the
# pages assume: an open `client` bound to an emulator (with the environment set so that
# a bare StytchB2BClient() reaches the same emulator), `org_id`, `member_id` (a member
# with a phone), `ist` (a live intermediate session token) and `code` (a wrong one: a
# code was sent); the working directory holds a corporate-ca.pem.
EXECUTED_PAGES = ("quickstart.md", "client.md", "errors.md", "retries.md", "security.md")
EXECUTED_BLOCKS = [block for block in blocks_of("python") if block.page in EXECUTED_PAGES]


@pytest.fixture
async def block_namespace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AsyncIterator[dict[str, Any]]:
    async with Emulator(config=EmulatorConfig(sends_per_phone_per_hour=None)) as emu:
        monkeypatch.setenv("STYTCH_PROJECT_ID", emu.project_id)
        monkeypatch.setenv("STYTCH_SECRET", emu.secret)
        monkeypatch.setattr(_constants, "TEST_BASE_URL", emu.base_url)
        monkeypatch.chdir(tmp_path)
        trustme.CA().cert_pem.write_to_path(str(tmp_path / "corporate-ca.pem"))
        org = emu.create_organization(name="Acme")
        member = emu.create_member(
            org.organization_id, email_address="ada@acme.test", mfa_phone_number="+12025550162"
        )
        org_id, member_id = org.organization_id, member.member_id
        ist = emu.create_intermediate_session(org_id, member_id)
        logger = logging.getLogger("stytch_b2b_otp")
        level = logger.level
        try:
            async with emu.client() as client:
                await client.otps.sms.send(organization_id=org_id, member_id=member_id)
                code = "000000" if emu.last_code(member_id) != "000000" else "111111"
                yield {
                    "client": client,
                    "org_id": org_id,
                    "member_id": member_id,
                    "ist": ist,
                    "code": code,
                }
        finally:
            logger.setLevel(level)


def test_the_executed_pages_have_blocks_to_run() -> None:
    pages = {block.page for block in EXECUTED_BLOCKS}
    assert pages == set(EXECUTED_PAGES)


@pytest.mark.parametrize("block", EXECUTED_BLOCKS, ids=str)
async def test_python_blocks_run(block: Block, block_namespace: dict[str, Any]) -> None:
    result = eval(compile_block(block), dict(block_namespace))  # noqa: S307 (our own docs)
    if inspect.iscoroutine(result):
        await result


# --- included examples and their printed output --------------------------------------------


def run_example(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(DOCS / "examples" / name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def output_shown_after(name: str) -> str | None:
    """The text block that follows the example's include on a page, if one does."""
    for before, after in itertools.pairwise(BLOCKS):
        if before.include == f"examples/{name}" and after.lang == "text":
            return after.text
    return None


@example_check("quickstart.py")
def _quickstart(output: str) -> None:
    assert output == "MFA complete; session token received\n"
    assert f"`{output.strip()}`" in (DOCS / "quickstart.md").read_text()


@example_check("no_blind_retry.py")
def _no_blind_retry(output: str) -> None:
    assert output == output_shown_after("no_blind_retry.py")


@example_check("toll_fraud.py")
def _toll_fraud(output: str) -> None:
    assert output == output_shown_after("toll_fraud.py")


@example_check("tracing.py")
def _tracing(output: str) -> None:
    lines = output.splitlines()
    timed = [
        line
        for line in lines
        if re.fullmatch(r"POST /v1/b2b/otps/sms/send -> 200 in [\d.]+ ms", line)
    ]
    assert len(timed) == 2, output
    assert lines.count("waited for a free pooled connection") == 1, output


@pytest.mark.parametrize("name", sorted(EXAMPLE_CHECKS))
def test_example_runs(name: str) -> None:
    EXAMPLE_CHECKS[name](run_example(name))


def test_text_blocks_are_the_error_tree_or_an_example_output() -> None:
    texts = blocks_of("text")
    outputs = {output_shown_after(name) for name in EXAMPLE_CHECKS}
    trees = [block for block in texts if block.text.startswith("StytchError\n")]
    assert [block.page for block in trees] == ["errors.md"]
    for block in texts:
        assert block in trees or block.text in outputs, f"{block}: what checks this text?"


# --- errors.md ------------------------------------------------------------------------------

TREE_LINE = re.compile(
    r"^(?P<prefix>[│├└─ ]*)(?P<name>[A-Za-z]+)(?:\((?P<also>\w+)\))?(?P<rest>.*)$"
)


def test_the_error_tree_is_the_class_hierarchy() -> None:
    (tree,) = [block for block in blocks_of("text") if block.text.startswith("StytchError\n")]
    parents: list[type[BaseException]] = []
    seen = set()
    for line in tree.text.splitlines():
        match = TREE_LINE.match(line)
        assert match, line
        cls = getattr(stytch_b2b_otp, match["name"])
        depth = len(match["prefix"]) // 4
        del parents[depth:]
        if parents:
            assert parents[-1] in cls.__bases__, line
        if match["also"]:
            assert match["also"] in {base.__name__ for base in cls.__bases__}, line
        status = re.search(r"(>= )?\b(\d{3})\b", match["rest"])
        if status:
            assert error_class_for(int(status[2])) is cls, line
            if status[1]:
                assert error_class_for(599) is cls, line
        parents.append(cls)
        seen.add(cls)
    public_errors = {
        obj
        for obj in vars(stytch_b2b_otp).values()
        if isinstance(obj, type) and issubclass(obj, StytchError)
    }
    assert seen == public_errors


CATALOGUE_ROW = re.compile(r"^\| `([a-z_]+)` \| (\d{3}) \| `(\w+)` \| (.+) \|$")


def catalogue_rows() -> dict[str, tuple[int, str]]:
    rows = [CATALOGUE_ROW.match(line) for line in (DOCS / "errors.md").read_text().splitlines()]
    return {match[1]: (int(match[2]), match[3]) for match in rows if match}


def test_the_errors_page_lists_every_error_type_with_its_status_and_class() -> None:
    documented = catalogue_rows()
    expected = {
        error_type: (spec.status, error_class_for(spec.status).__name__)
        for error_type, spec in ERROR_CATALOGUE.items()
    }
    assert documented == expected


async def test_each_error_type_is_raised_as_the_documented_class() -> None:
    documented = catalogue_rows()
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme")
        member = emu.create_member(
            org.organization_id, email_address="ada@acme.test", mfa_phone_number="+12025550162"
        )
        async with emu.client(retry=RetryPolicy(max_retries=0)) as client:
            for error_type, (status, class_name) in documented.items():
                emu.inject_fault("send", error_type=error_type)
                with pytest.raises(APIStatusError) as raised:
                    await client.otps.sms.send(
                        organization_id=org.organization_id, member_id=member.member_id
                    )
                assert type(raised.value).__name__ == class_name
                assert raised.value.status_code == status
                assert raised.value.error_type == error_type


# --- retries.md -----------------------------------------------------------------------------

KEY: Any = SimpleNamespace(host="test.stytch.com", port=443, ssl=True, is_ssl=True)
SEND = "/v1/b2b/otps/sms/send"
PROXY = URL("http://127.0.0.1:3128")
PROXY_INFO = aiohttp.RequestInfo(PROXY, "CONNECT", CIMultiDictProxy(CIMultiDict()), PROXY)

# Each row of the retry table, by its first cell: the failures it stands for.
TRANSPORT_ROWS: dict[str, list[BaseException]] = {
    "Could not connect: refused, DNS failure, TLS handshake cut short, a proxy refusing the "
    "tunnel": [
        aiohttp.ClientConnectorError(KEY, ConnectionRefusedError(111, "refused")),
        aiohttp.ClientConnectorError(KEY, socket.gaierror(-2, "Name or service not known")),
        aiohttp.ClientConnectorSSLError(KEY, ssl.SSLEOFError(8, "EOF in violation")),
        aiohttp.ClientHttpProxyError(PROXY_INFO, (), status=407, message="Proxy Auth Required"),
    ],
    "No connection within the connect timeout (pool wait included)": [
        aiohttp.ConnectionTimeoutError("pool"),
    ],
    "Stytch's TLS certificate could not be verified": [
        aiohttp.ClientConnectorCertificateError(
            KEY, ssl.SSLCertVerificationError(1, "certificate verify failed")
        ),
    ],
    "No data from Stytch within the read timeout": [aiohttp.SocketTimeoutError("read")],
    "The attempt took longer than the total timeout": [asyncio.TimeoutError()],
    "The connection broke after the request was sent": [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("short"),
        aiohttp.ClientOSError(104, "reset"),
    ],
}
SOON = {"Retry-After": formatdate(1_000_005, usegmt=True)}  # 5 s after NOW
NOW = 1_000_000.0
STATUS_ROWS: dict[str, list[tuple[int, dict[str, str] | None]]] = {
    "429 with a `Retry-After` of at most `max_retry_after`": [
        (429, {"Retry-After": "0"}),
        (429, {"Retry-After": "2.5"}),
        (429, {"Retry-After": "10"}),
        (429, SOON),
    ],
    "429 with a longer `Retry-After`, or none": [
        (429, {"Retry-After": "11"}),
        (429, {"Retry-After": "3600"}),
        (429, None),
        (429, {"Retry-After": "soon"}),
    ],
    "5xx from Stytch or a proxy": [(500, None), (502, None), (503, {"Retry-After": "1"})],
    "Any other error status": [(status, None) for status in (301, 400, 401, 403, 404, 405, 409)],
}
INVALID_REPLY_ROW = "A 2xx reply that is not Stytch's: not JSON, the wrong shape, over 4 MiB"


def retry_table() -> dict[str, tuple[str, set[str], str]]:
    page = (DOCS / "retries.md").read_text()
    section = page.split("## What is retried", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| ") or line.startswith(("| Failure |", "|---")):
            continue
        failure, retried_cell, raised, request_sent = (
            cell.strip() for cell in line.strip("|").split("|")
        )
        rows[failure] = (retried_cell, set(re.findall(r"`(\w+)`", raised)), request_sent)
    return rows


def retried(cell: str) -> bool:
    assert cell.startswith(("yes", "no")), cell
    return cell.startswith("yes")


def test_the_retry_table_has_a_row_for_every_kind_of_failure() -> None:
    rows = retry_table()
    assert set(rows) == {*TRANSPORT_ROWS, *STATUS_ROWS, INVALID_REPLY_ROW}
    kinds = {
        _map_failure(exc, SEND, DEFAULT_TIMEOUT)[0]
        for failures in TRANSPORT_ROWS.values()
        for exc in failures
    }
    assert kinds | {FailureKind.STATUS} == set(FailureKind)


@pytest.mark.parametrize("row", sorted(TRANSPORT_ROWS))
def test_the_retry_table_row_for_a_transport_failure_is_what_the_code_does(row: str) -> None:
    retried_cell, raised, request_sent = retry_table()[row]
    for exc in TRANSPORT_ROWS[row]:
        kind, error = _map_failure(exc, SEND, DEFAULT_TIMEOUT)
        assert RetryPolicy().decide(1, Failure(kind)).retry is retried(retried_cell)
        assert raised == {type(error).__name__}
        assert request_sent == f"`{error.request_sent}`"


@pytest.mark.parametrize("row", sorted(STATUS_ROWS))
def test_the_retry_table_row_for_an_error_status_is_what_the_code_does(row: str) -> None:
    retried_cell, raised, request_sent = retry_table()[row]
    assert request_sent == ""
    assert raised == {error_class_for(status).__name__ for status, _ in STATUS_ROWS[row]}
    opt_in = "unless `retry_server_errors=True`" in retried_cell
    for status, headers in STATUS_ROWS[row]:
        failure = Failure(FailureKind.STATUS, status)
        decision = RetryPolicy().decide(1, failure, headers, now=NOW)
        assert decision.retry is retried(retried_cell), (status, headers)
        if opt_in:
            opted = RetryPolicy(retry_server_errors=True).decide(1, failure, headers, now=NOW)
            assert opted.retry


async def test_the_retry_table_row_for_a_reply_that_is_not_stytchs() -> None:
    retried_cell, raised, request_sent = retry_table()[INVALID_REPLY_ROW]
    assert raised == {"InvalidResponseError"}
    assert request_sent == ""
    assert not retried(retried_cell)
    async with Emulator() as emu:
        org = emu.create_organization(name="Acme")
        member = emu.create_member(
            org.organization_id, email_address="ada@acme.test", mfa_phone_number="+12025550162"
        )
        emu.inject_fault("send", malformed=True, times=None)
        async with emu.client() as client:
            with pytest.raises(InvalidResponseError):
                await client.otps.sms.send(
                    organization_id=org.organization_id, member_id=member.member_id
                )
        assert emu.calls("send") == 1


def test_the_retry_pages_defaults_are_the_policys() -> None:
    page = " ".join((DOCS / "retries.md").read_text().split())
    policy = RetryPolicy()
    assert f"at most {policy.max_retries} retries ({policy.max_retries + 1} attempts)" in page
    assert f"from {policy.initial_delay:g} s doubling up to {policy.max_delay:g} s" in page
    assert f"when it is at most {policy.max_retry_after:g} s" in page


TIMEOUT_ROW = re.compile(r"^\| (.+?) \| `(\w+)` \| (\d+) s \| (N|N/2, at most (\d+) s) \|$")


def test_the_timeout_table_is_the_default_and_how_a_number_is_split() -> None:
    rows = [TIMEOUT_ROW.match(line) for line in (DOCS / "retries.md").read_text().splitlines()]
    fields = set()
    for match in filter(None, rows):
        field = match[2]
        fields.add(field)
        assert getattr(DEFAULT_TIMEOUT, field) == int(match[3])
        for seconds in (3, 8, 30, 120):
            cap = float(match[5]) if match[5] else None
            expected = seconds if cap is None else min(seconds / 2, cap)
            assert getattr(resolve_timeout(seconds), field) == expected
    assert fields == {"connect", "sock_connect", "total"}
    assert DEFAULT_TIMEOUT.sock_read is None  # the table has no row for it


def test_the_client_page_quotes_the_real_defaults_and_log_fields() -> None:
    page = " ".join((DOCS / "client.md").read_text().split())
    assert (
        f"`max_connections` connections ({_constants.DEFAULT_MAX_CONNECTIONS} by default)" in page
    )
    timeout = DEFAULT_TIMEOUT
    assert timeout.total is not None
    assert timeout.connect is not None
    assert (
        f"({timeout.connect:g} s to get a connection, {timeout.total:g} s in all, so Stytch "
        f"has at least {timeout.total - timeout.connect:g} s to answer)"
    ) in page
    client_source = inspect.getsource(importlib.import_module("stytch_b2b_otp._client"))
    for field in re.findall(r"`(stytch_\w+)`", page):
        assert f'"{field}"' in client_source, field


# --- bash blocks ----------------------------------------------------------------------------


def help_options(parse: Callable[[list[str]], object], argv: list[str]) -> set[str]:
    """The --options an argparse command line lists in its --help."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parse([*argv, "--help"])
    return set(re.findall(r"--[a-z][a-z-]*", out.getvalue()))


def extras() -> set[str]:
    pyproject = (REPO / "pyproject.toml").read_text()
    section = pyproject.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w-]+) = \[", section, re.M))


def nox_sessions() -> set[str]:
    tree = ast.parse((REPO / "noxfile.py").read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("nox.session" in ast.unparse(decorator) for decorator in node.decorator_list)
    }


ENV_VARIABLES = {_constants.PROJECT_ID_ENV, _constants.SECRET_ENV, _cli.BASE_URL_ENV}
PACKAGE_SPEC = re.compile(r"^(\.|stytch-b2b-otp)(?:\[([\w,-]+)\])?$")


def check_pip(args: list[str]) -> None:
    for spec in [arg for arg in args if not arg.startswith("-")]:
        match = PACKAGE_SPEC.match(spec)
        if match and match[2]:
            assert set(match[2].split(",")) <= extras(), spec


def check_cli(args: list[str]) -> None:
    subcommand = args[0]
    options = help_options(_cli._parser().parse_args, [subcommand])
    used = set(re.findall(r"--[a-z][a-z-]*", " ".join(args[1:])))
    assert used <= options, used - options


BENCHMARK_PARSERS: dict[str, Callable[[list[str]], object]] = {
    "benchmarks/bulk.py": bulk_benchmark.parse_args,
    "benchmarks/compare.py": compare_benchmark.parse_args,
}


def check_benchmark(args: list[str], scripts: list[str]) -> None:
    """Every --option in ``args`` is one that one of ``scripts`` takes."""
    options: set[str] = set()
    for script in scripts:
        options |= help_options(BENCHMARK_PARSERS[script], [])
    used = {arg.split("=")[0] for arg in args if arg.startswith("--")}
    assert used <= options, used - options


def check_nox(args: list[str]) -> None:
    session = args[args.index("-s") + 1] if "-s" in args else None
    if session is not None:
        assert session in nox_sessions(), session
    if session == "bench" and "--" in args:
        # the bench session routes each option to the script that knows it
        check_benchmark(args[args.index("--") + 1 :], list(BENCHMARK_PARSERS))


APT_PACKAGES = {"nginx"}  # what the pages tell people to apt-get install


def check_apt(args: list[str]) -> None:
    assert args[:1] in (["update"], ["install"]), args
    if args[0] == "install":
        packages = {arg for arg in args[1:] if not arg.startswith("-")}
        assert packages, args
        assert packages <= APT_PACKAGES, packages


def check_command(words: list[str]) -> None:
    program, args = words[0], words[1:]
    if program == "python" and args[:2] == ["-m", "pip"]:
        check_pip(args[2:])
    elif program == "python" and args[:2] == ["-m", "nox"]:
        check_nox(args[2:])
    elif program == "python" and args[:2] == ["-m", "stytch_b2b_otp"]:
        check_cli(args[2:])
    elif program == "python" and args and args[0].endswith(".py"):
        assert (REPO / args[0]).is_file(), args[0]
        if args[0] in BENCHMARK_PARSERS:
            check_benchmark(args[1:], [args[0]])
    elif program == "stytch-b2b-otp":
        check_cli(args)
    elif program == "nox":
        check_nox(args)
    elif program == "apt-get":
        check_apt(args)
    elif program == "export":
        assert {arg.split("=")[0] for arg in args} <= ENV_VARIABLES, args
    else:
        pytest.fail(f"no check for the command {program!r}: teach tests/test_docs.py")


def commands(script: str) -> list[list[str]]:
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        while words:
            end = words.index("&&") if "&&" in words else len(words)
            found.append(words[:end])
            words = words[end + 1 :]
    return found


def check_script(script: str) -> None:
    found = commands(script)
    assert found
    for words in found:
        check_command(words)


@pytest.mark.parametrize("block", blocks_of("bash"), ids=str)
def test_bash_blocks_name_real_commands_options_and_extras(block: Block) -> None:
    check_script(block.text)


def test_the_bash_check_catches_what_does_not_exist() -> None:
    for made_up in (
        "python -m pip install '.[emulators]'",
        "stytch-b2b-otp send --organisation-id ORG",
        "nox -s documentation",
        "nox -s bench -- --fast",
        "python benchmarks/throughput.py",
        "python benchmarks/compare.py --fast",
        "python benchmarks/compare.py --items 10",
        "python benchmarks/bulk.py --only parse",
        "apt-get install -y apache2",
        "apt-get remove nginx",
        "export STYTCH_TOKEN=x",
        "curl https://example.com",
    ):
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            check_script(made_up)


# --- json blocks ----------------------------------------------------------------------------


@pytest.mark.parametrize("block", blocks_of("json"), ids=str)
def test_json_blocks_parse_and_seed_documents_seed(block: Block) -> None:
    try:
        documents = [json.loads(block.text)]
    except json.JSONDecodeError:  # JSON Lines
        documents = [json.loads(line) for line in block.text.splitlines() if line.strip()]
    for document in documents:
        if isinstance(document, dict) and "organizations" in document:
            assert seed(Emulator(), document)


# --- the benchmarks page ----------------------------------------------------------------------


def test_the_benchmarks_page_describes_the_default_run() -> None:
    page = " ".join((DOCS / "benchmarks.md").read_text().split())
    defaults = bulk_benchmark.parse_args([])
    assert f"over {defaults.rounds} rounds" in page
    assert f"each timed run sends {defaults.items:,} codes" in page
    assert f"with {defaults.concurrency} requests in flight" in page
    assert f"a generator of {defaults.stream_items:,} requests" in page
    assert f"asyncio.Semaphore({defaults.concurrency})" in page


def test_the_benchmarks_page_describes_the_default_comparison() -> None:
    page = " ".join((DOCS / "benchmarks.md").read_text().split())
    defaults = compare_benchmark.parse_args([])
    assert f"{defaults.concurrency} worker tasks" in page
    assert f"{defaults.calls:,} calls per contender per round" in page
    assert f"the median over {defaults.rounds} rounds" in page
    assert f"in {defaults.parse_repeats} interleaved repeats" in page
    assert f"the best of {defaults.import_runs}" in page
    targets = compare_benchmark.TARGETS
    times = compare_benchmark.TIMES
    assert (
        f"throughput at least {targets['throughput_vs_raw']:.2f}{times} raw aiohttp and at "
        f"least {targets['throughput_vs_official']:.2f}{times} the official SDK" in page
    )
    assert f"parsing at least {targets['parse_vs_official']:g}{times} as fast" in page
    assert f"at most {targets['import_vs_aiohttp']:g}{times} as long as `import aiohttp`" in page
    assert page.count(compare_benchmark.RESULTS_START) == 1
    assert page.count(compare_benchmark.RESULTS_END) == 1


# --- the API reference and the navigation ---------------------------------------------------


def test_the_api_reference_lists_every_public_name() -> None:
    page = (DOCS / "reference.md").read_text()
    listed = set(re.findall(r"^::: ([\w.]+)$", page, re.M))
    public = {f"stytch_b2b_otp.{name}" for name in stytch_b2b_otp.__all__}
    public |= {f"stytch_b2b_otp.emulator.{name}" for name in stytch_b2b_otp.emulator.__all__}
    public -= {"stytch_b2b_otp.__version__"}
    assert public <= listed
    assert {"stytch_b2b_otp.fastapi", "stytch_b2b_otp.aiohttp"} <= listed


def test_every_page_is_in_the_navigation() -> None:
    nav = set(re.findall(r"^\s+- [^:]+: ([\w/-]+\.md)$", (REPO / "mkdocs.yml").read_text(), re.M))
    assert {page.name for page in PAGES} <= nav


def test_the_api_reference_shows_each_class_as_python_builds_it() -> None:
    """The reference's signatures (griffe, with docs/griffe_attrs.py) are the real ones."""
    griffe = pytest.importorskip("griffe", reason="the docs nox session installs griffe")
    extension = griffe.load_extensions(f"{DOCS / 'griffe_attrs.py'}:AttrsInit")
    loader = griffe.GriffeLoader(extensions=extension, search_paths=[str(REPO)])
    loader.load("stytch_b2b_otp")
    loader.resolve_aliases(implicit=False, external=False)
    modules = ["stytch_b2b_otp", "stytch_b2b_otp.emulator"]
    modules += ["stytch_b2b_otp.fastapi", "stytch_b2b_otp.aiohttp"]
    checked = 0
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            runtime = getattr(module, name)
            documented = loader.modules_collection[f"{module_name}.{name}"]
            if not isinstance(runtime, type) or "__init__" not in documented.all_members:
                continue
            shown = [p for p in documented.all_members["__init__"].parameters if p.name != "self"]
            real = list(inspect.signature(runtime).parameters.values())
            where = f"{module_name}.{name}"
            assert [p.name for p in shown] == [p.name for p in real], where
            assert [p.kind.value for p in shown] == [p.kind.description for p in real], where
            for doc, code in zip(shown, real, strict=True):
                assert (doc.default is None) == (code.default is inspect.Parameter.empty), where
                if doc.default is not None:
                    with contextlib.suppress(ValueError, SyntaxError):  # not a literal
                        value = ast.literal_eval(str(doc.default))
                        assert value == code.default, (where, doc.name)
            checked += 1
    assert checked > 50


# --- code in the docstrings the API reference shows --------------------------------------

LITERAL_BLOCK = re.compile(r"::\n\n((?:(?:[ \t]+.*)?\n)+)")
FENCED_BLOCK = re.compile(r"```(?:python|py)?\n(.*?)```", re.S)


def reference_objects() -> dict[str, object]:
    """Every object whose docstring the reference shows, by dotted name."""
    found: dict[str, object] = {}

    def visit(name: str, obj: object, depth: int) -> None:
        if name in found or depth > 2:
            return
        found[name] = obj
        if inspect.ismodule(obj):
            members = [
                (member, value)
                for member, value in vars(obj).items()
                if getattr(value, "__module__", None) == obj.__name__
            ]
        elif inspect.isclass(obj):
            members = list(vars(obj).items())
        else:
            return
        for member, value in members:
            if not member.startswith("_"):
                visit(f"{name}.{member}", getattr(value, "fget", value), depth + 1)

    page = (DOCS / "reference.md").read_text()
    for target in re.findall(r"^::: ([\w.]+)$", page, re.M):
        module_name, _, attribute = target.rpartition(".")
        try:
            obj: object = importlib.import_module(target)
        except ImportError:
            obj = getattr(importlib.import_module(module_name), attribute)
        visit(target, obj, 0)
    return found


def docstring_blocks() -> list[Block]:
    blocks = []
    for name, obj in reference_objects().items():
        doc = inspect.getdoc(obj) if not isinstance(obj, (str, int, float)) else None
        if doc:
            code = [*FENCED_BLOCK.findall(doc), *LITERAL_BLOCK.findall(doc + "\n")]
            blocks += [
                Block(name, 0, "python", textwrap.dedent(text).strip() + "\n") for text in code
            ]
    return blocks


DOCSTRING_BLOCKS = docstring_blocks()


def test_the_reference_shows_code_from_docstrings() -> None:
    assert {"stytch_b2b_otp.StytchB2BClient", "stytch_b2b_otp.emulator.Emulator"} <= {
        block.page for block in DOCSTRING_BLOCKS
    }


@pytest.mark.parametrize("block", DOCSTRING_BLOCKS, ids=lambda block: block.page)
def test_code_in_docstrings_compiles_and_uses_only_real_api(block: Block) -> None:
    compile_block(block)
    assert api_problems(block) == []


# --- names in the prose ----------------------------------------------------------------------

INLINE_CODE = re.compile(r"`([^`\n]+)`")
CLASS_LIKE = re.compile(r"^(?:[a-z_][a-z0-9_]*\.)*[A-Z][a-z]\w*$")
NAME_SOURCES = (
    "stytch_b2b_otp",
    "stytch_b2b_otp.emulator",
    "stytch_b2b_otp.fastapi",
    "stytch_b2b_otp.aiohttp",
    "aiohttp",
    "aiohttp.web",
    "ssl",
    "asyncio",
    "typing",
    "contextlib",
    "builtins",
    "fastapi",
)
# Names whose module warns on import (starlette's test client under -W error): found in
# the module's source instead.
NAMES_IN_SOURCE = {"TestClient": "fastapi.testclient"}


# Module names the pages use without their package; words that are HTTP's, not Python's.
MODULE_ALIASES = {"web": "aiohttp.web"}
HTTP_WORDS = {"Authorization", "Secure", "HttpOnly", "SameSite", "Location"}


def resolves(name: str) -> bool:
    """Whether a CamelCase name (``RetryPolicy``, ``aiohttp.ClientSession``) exists."""
    first, _, rest = name.partition(".")
    if rest:
        parts = [*MODULE_ALIASES.get(first, first).split("."), *rest.split(".")]
        for split in range(len(parts) - 1, 0, -1):
            try:
                obj: object = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            for part in parts[split:]:
                if not hasattr(obj, part):
                    return False
                obj = getattr(obj, part)
            return True
        return False
    if name in NAMES_IN_SOURCE:
        spec = importlib.util.find_spec(NAMES_IN_SOURCE[name])
        return (
            spec is not None and spec.origin is not None and name in Path(spec.origin).read_text()
        )
    return name in HTTP_WORDS or any(
        hasattr(importlib.import_module(source), name) for source in NAME_SOURCES
    )


def prose(page: Path) -> str:
    """The page without its code blocks."""
    return re.sub(r"^( *)```.*?^\1```$", "", page.read_text(), flags=re.S | re.M)


ON_AN_OBJECT = re.compile(r"^(client|emu)((?:\.\w+)+)")


def exists_on(kind: str, path: str) -> bool:
    obj = SURFACE[kind]
    missing = object()
    for part in path.strip(".").split("."):
        # Static: an emulator that is not started refuses to give its base_url.
        obj = inspect.getattr_static(obj, part, missing)
        if obj is missing:
            return False
    return True


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_class_named_in_the_prose_exists(page: Path) -> None:
    spans = INLINE_CODE.findall(prose(page))
    names = {span for span in spans if CLASS_LIKE.match(span)}
    assert {name for name in names if not resolves(name)} == set()
    used = [match for span in spans if (match := ON_AN_OBJECT.match(span))]
    kinds = {"client": "client", "emu": "emulator"}
    assert [m[0] for m in used if not exists_on(kinds[m[1]], m[2])] == []


def test_the_name_check_catches_what_does_not_exist() -> None:
    assert resolves("RetryPolicy")
    assert resolves("aiohttp.ClientSession")
    assert resolves("SentMessage")
    assert not resolves("RetryConfig")
    assert not resolves("aiohttp.ClientPool")
    assert exists_on("client", ".otps.sms.send_stream")
    assert not exists_on("client", ".otps.sms.resend")
    assert not exists_on("emulator", ".inject_error")
