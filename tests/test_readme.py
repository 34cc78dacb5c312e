"""Every code block of README.md runs as written, against the sandbox (by configuration only).

Python blocks with a top-level `await` run as in an async REPL (`python -m asyncio`), on
asyncio and trio; complete programs run in a subprocess; pytest examples run under pytest in a
subprocess. Console blocks run their `simwood` and `python -m simwood_async...` commands (with
no configuration: the embedded sandbox's demo), and check that the extras `pip install` names
and the sessions `nox -s` names exist. Where a block reaches for "your" API, Redis or public
address, the environment points it at a loopback sandbox or a local redis-server; no block is
edited or skipped.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.served import served_sandbox

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
SANDBOX_PASSWORD = "readme-password"


def blocks(language: str) -> list[Any]:
    """README's code blocks of one language, as pytest params named by their first line."""
    found = []
    text = README.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        indent, lang, body = match.groups()
        if lang != language:
            continue
        code = "\n".join(line.removeprefix(indent) for line in body.splitlines())
        line = text.count("\n", 0, match.start()) + 1
        found.append(pytest.param(code, id=f"line-{line}"))
    return found


def kind(code: str) -> str:
    """How a Python block runs: `pytest`, `program` (runs itself) or `repl` (top-level await)."""
    if re.search(r"^(async )?def test_", code, re.MULTILINE):
        return "pytest"
    if "anyio.run(" in code or "asyncio.run(" in code:
        return "program"
    return "repl"


def free_port() -> int:
    """A loopback TCP port nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Simwood configuration, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMWOOD_")}
    env["XDG_CONFIG_HOME"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / "no-simwood-config")  # noqa: S108
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


@pytest.fixture(scope="module")
def served():
    """A sandbox served on loopback by `python -m simwood_async.sandbox` (fast reports)."""
    with served_sandbox(
        *("--password", SANDBOX_PASSWORD, "--report-delay", "0.05,0.3"),
        *("--cdr-rows-per-day", "100"),
        env=clean_env(),
    ) as coordinates:
        yield coordinates


@pytest.fixture(scope="module")
def redis_url():
    """A throwaway redis-server on a free loopback port."""
    server = shutil.which("redis-server")
    assert server, "redis-server is needed for the README's Redis block"
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed program and arguments
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def api_env(served, redis_url, tmp_path, monkeypatch):
    """The environment a reader would set to point the README's blocks at the sandbox."""
    env = {
        "SIMWOOD_BASE_URL": served["base_url"],
        "SIMWOOD_ACCOUNT": served["account"],
        "SIMWOOD_API_USER": served["username"],
        "SIMWOOD_API_PASSWORD": SANDBOX_PASSWORD,
        "REDIS_URL": redis_url,
    }
    for name, value in clean_env(**env).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return env


def test_the_readme_has_blocks_of_each_kind():
    """The extraction finds the README's blocks (so the tests below cannot pass empty)."""
    python = [p.values[0] for p in blocks("python")]
    assert {kind(code) for code in python} == {"pytest", "program", "repl"}
    assert len(blocks("console")) >= 3
    assert blocks("toml")


@pytest.mark.parametrize("code", [p for p in blocks("python") if kind(p.values[0]) == "repl"])
def test_async_repl_blocks(code, api_env, anyio_backend_name):
    """A block with top-level await runs as in `python -m asyncio` (here on asyncio and trio)."""
    compiled = compile(code, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {"__name__": "__readme__"}

    async def run() -> None:
        """Run the block, then the lifespan of any FastAPI app it built."""
        result = eval(compiled, namespace)  # noqa: S307 - the README's own code
        if result is not None:
            await result
        app = namespace.get("app")
        if app is not None:  # an ASGI app: start and stop it as a server would
            async with app.router.lifespan_context(app):
                assert app.state.simwood is not None

    anyio.run(run, backend=anyio_backend_name)


@pytest.mark.parametrize("code", [p for p in blocks("python") if kind(p.values[0]) == "program"])
def test_program_blocks(code, api_env, tmp_path):
    """A complete program runs to exit status 0 with the environment pointing at the sandbox."""
    done = subprocess.run(  # noqa: S603 - this interpreter and the README's code
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env=dict(os.environ), cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


@pytest.mark.parametrize("code", [p for p in blocks("python") if kind(p.values[0]) == "pytest"])
def test_pytest_blocks(code, tmp_path):
    """A pytest example passes under pytest, as written, on asyncio and trio."""
    (tmp_path / "test_example.py").write_text(code)
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n\n"
        '@pytest.fixture(params=["asyncio", "trio"])\n'
        "def anyio_backend(request):\n"
        "    return request.param\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=clean_env(),
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b(\d+) passed", done.stdout)


def _extras() -> set[str]:
    """The extras pyproject.toml declares."""
    import tomllib  # noqa: PLC0415 - Python 3.11+

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project["optional-dependencies"])


def _nox_sessions() -> set[str]:
    """The session names noxfile.py declares."""
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("session" in ast.unparse(d) for d in node.decorator_list)
    }


def _serve(argv: list[str], env: dict[str, str], cwd: Path) -> None:
    """Start a long-running sandbox command, check its first line, and stop it."""
    process = subprocess.Popen(  # noqa: S603 - this interpreter and the README's arguments
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first, process.stderr.read() if process.stderr else ""
        if "--json" in argv:
            assert json.loads(first)["base_url"].startswith("http://127.0.0.1:")
        else:
            assert first.startswith("Simwood sandbox on http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _run_command(words: list[str], env: dict[str, str], cwd: Path) -> None:
    """Run one README command (see the module docstring for what each kind does)."""
    if words[:2] == ["pip", "install"]:
        for spec in words[2:]:
            if spec.startswith("-"):
                continue
            for extra in re.findall(r"\[([^\]]+)\]", spec):
                assert set(extra.split(",")) <= _extras(), spec
        return
    if words[0] == "nox":
        assert set(words[words.index("-s") + 1 :]) <= _nox_sessions()
        return
    if words[0] == "export":
        env.update(word.split("=", 1) for word in words[1:])  # type: ignore[arg-type]
        return
    if words[0] == "simwood":
        argv = [sys.executable, "-m", "simwood_async", *words[1:]]
    elif words[:3] == ["python", "-m", "simwood_async.sandbox"]:
        argv = [sys.executable, *words[1:]]
    else:
        raise AssertionError(f"the README runs a command this test does not know: {words}")
    background = argv[-1] == "&"
    argv = [w for w in argv if w != "&"]
    if background or argv[2:5] == ["simwood_async", "sandbox", "serve"] or "sandbox" in argv[2]:
        _serve(argv, env, cwd)
        return
    done = subprocess.run(  # noqa: S603 - this interpreter and the README's arguments
        argv, capture_output=True, text=True, timeout=300, env=env, cwd=cwd, check=False
    )
    assert done.returncode == 0, f"{words}: {done.stderr}"


@pytest.mark.parametrize("code", blocks("console"))
def test_console_blocks(code, tmp_path):
    """Each console line runs (the CLI with no configuration: the embedded sandbox's demo)."""
    env = clean_env(SIMWOOD_FAST_TRANSPORT="0")
    for raw in code.splitlines():
        line = raw.split("  #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        for command in line.split("&&"):
            _run_command(shlex.split(command), env, tmp_path)


@pytest.mark.parametrize("code", blocks("toml"))
def test_toml_blocks_are_config_files_the_library_reads(code, tmp_path):
    """A TOML block is a config file that both the library and the CLI accept."""
    from simwood_async._config import read_config_file  # noqa: PLC0415

    path = tmp_path / "config.toml"
    path.write_text(code)
    settings = read_config_file(path, required=True)
    assert {"username", "account"} <= set(settings)
