"""A real `redis-server` for the Redis report store's tests (never a mock).

The session starts one server on a free loopback port in a temporary directory, without
persistence, and stops it at the end; each test uses its own key prefix. Without `redis-server`
on PATH (or without coredis) the tests are skipped, unless `SIMWOOD_REQUIRE_REDIS=1` (CI), where
they fail instead.

Virtual time: Redis I/O blocks a task the way a virtual sleep does, so an "autojump" driver
could move time while a claim is still on its way to Redis, and one client could finish a
report before the other had even asked. `StoreTime` holds virtual time still while any store
call is in flight, and while a test holds it (`vtime.hold()`).
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import importlib.util
import itertools
import logging
import os
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from simwood_async import RetryPolicy, SimwoodClient
from simwood_async.reports import Claim, ReportOptions, ReportStore, StoredOutcome
from simwood_async.sandbox import IN_PROCESS_BASE_URL, ManualClock, Sandbox

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

REQUIRE = os.environ.get("SIMWOOD_REQUIRE_REDIS") == "1"
START = dt.datetime(2026, 3, 15, 12, 0, 0, tzinfo=dt.timezone.utc)


def pytest_configure(config: pytest.Config) -> None:
    """Under SIMWOOD_REQUIRE_REDIS=1, a missing coredis is an error, not a skip."""
    if REQUIRE and importlib.util.find_spec("coredis") is None:
        raise pytest.UsageError("SIMWOOD_REQUIRE_REDIS=1 but coredis is not installed")


def unavailable(reason: str) -> None:
    """Skip, or fail when Redis is required (CI)."""
    if REQUIRE:
        pytest.fail(f"{reason}, and SIMWOOD_REQUIRE_REDIS=1 requires the Redis tests")
    pytest.skip(reason)


def in_process_client(sandbox: Sandbox, **options: Any) -> SimwoodClient:
    """A client of `sandbox` in-process, in real time, with its credentials; `options` add to it.

    Unlike `sandbox.client()`, the engine keeps the machine's GMT day (as the processes of a
    fleet do) and no virtual time is wired in.
    """
    options.setdefault("env", {})
    if "transport" not in options:
        options["transport"] = sandbox.transport()
    return SimwoodClient(
        sandbox.account,
        username=sandbox.username,
        password=sandbox.password,
        base_url=IN_PROCESS_BASE_URL,
        allow_insecure_http=True,
        **options,
    )


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One `redis-server` process on 127.0.0.1, without persistence."""

    def __init__(self, executable: str, directory: Path, port: int | None = None) -> None:
        self.executable = executable
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait (at most 10 s) until it accepts connections."""
        self.process = subprocess.Popen(  # noqa: S603 - a fixed executable and arguments
            [
                self.executable,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
                *("--logfile", str(self.directory / "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                time.sleep(0.01)
            else:
                return
        raise RuntimeError("redis-server did not start within 10 s")

    def stop(self) -> None:
        """Stop the server (and wait for it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def redis_executable() -> str:
    """The `redis-server` executable, or skip (fail under SIMWOOD_REQUIRE_REDIS=1)."""
    executable = shutil.which("redis-server")
    if executable is None:
        unavailable("redis-server is not on PATH (apt-get install redis-server)")
    try:
        import coredis  # noqa: F401, PLC0415
    except ImportError:
        unavailable("coredis is not installed (pip install 'simwood-async[redis]')")
    assert executable is not None
    return executable


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The session's Redis server."""
    server = RedisServer(redis_executable(), tmp_path_factory.mktemp("redis"))
    for attempt in range(3):  # the free port may be taken between probe and bind
        try:
            server.start()
            break
        except RuntimeError:
            server.stop()
            if attempt == 2:
                raise
            server.port = free_port()
    yield server
    server.stop()


@pytest.fixture
def spare_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of the test's own, that it may stop and start again."""
    server = RedisServer(redis_executable(), tmp_path)
    server.start()
    yield server
    server.stop()


#: coredis leaks the memory streams of a connection that never connected, or of a pool that
#: was never opened (they are closed only by a successful run); their ResourceWarning surfaces
#: whenever the garbage collector finds them. Tests that make connections fail use this mark
#: and the `coredis_leaks` fixture, which collects them before the test is over.
COREDIS_LEAKS = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def coredis_leaks() -> Iterator[None]:
    """Collect what coredis leaked during the test at its teardown (see COREDIS_LEAKS)."""
    yield
    gc.collect()


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test uses."""
    return f"simwood-test:{uuid.uuid4().hex[:12]}:"


def open_store(server: RedisServer, prefix: str, **kwargs: Any) -> Any:
    """`RedisReportStore.open` on `server` under `prefix`, with quick test timings."""
    kwargs.setdefault("lease", 2.0)  # lapses are tested with a short ttl or lease
    kwargs.setdefault("recheck", 0.05)
    from simwood_async.reports import RedisReportStore  # noqa: PLC0415 - needs the extra

    return RedisReportStore.open(server.url, prefix=prefix, **kwargs)


class _Signal(logging.Handler):
    """Sets an event when a `simwood_async` log message contains a text."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text = text
        self.seen = anyio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        """Set the event on a match (logging runs in the task that logs)."""
        if self.text in record.getMessage():
            self.seen.set()


@contextmanager
def log_signal(text: str) -> Iterator[anyio.Event]:
    """An event set when the SDK logs a message containing `text` (at any level)."""
    logger = logging.getLogger("simwood_async")
    handler = _Signal(text)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class StoreCalls:
    """Counts store calls in flight; virtual time stands still while any is."""

    def __init__(self) -> None:
        self.busy = 0
        self.idle = anyio.Event()
        self.idle.set()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Keep virtual time still for the block."""
        self.busy += 1
        self.idle = anyio.Event() if self.busy == 1 else self.idle
        try:
            yield
        finally:
            self.busy -= 1
            if self.busy == 0:
                self.idle.set()


class TracedStore:
    """A `ReportStore` that counts its calls for `StoreTime` and records what it was told.

    With `crashed` set it stops talking to Redis, as if its process had died: publish and
    release never arrive, so the claim stays until its lease lapses.
    """

    def __init__(self, store: ReportStore, calls: StoreCalls) -> None:
        self.store = store
        self.calls = calls
        self.claims: list[Claim] = []
        self.claimed = anyio.Event()
        self.crashed = False

    async def claim(self, report_hash: str, owner: str, *, ttl: float) -> Claim:
        """Claim through the real store (time held)."""
        with self.calls.hold():
            claim = await self.store.claim(report_hash, owner, ttl=ttl)
        self.claims.append(claim)
        self.claimed.set()
        return claim

    async def publish(self, report_hash: str, claim: Claim, outcome: StoredOutcome) -> None:
        """Publish through the real store (time held), unless crashed."""
        if not self.crashed:
            with self.calls.hold():
                await self.store.publish(report_hash, claim, outcome)

    async def release(self, report_hash: str, claim: Claim) -> None:
        """Release through the real store (time held), unless crashed."""
        if not self.crashed:
            with self.calls.hold():
                await self.store.release(report_hash, claim)

    async def wait(self, report_hash: str, generation: int) -> StoredOutcome | None:
        """Wait through the real store (a waiter is blocked, as in a virtual sleep)."""
        return await self.store.wait(report_hash, generation)


class StoreTime:
    """Virtual time on a sandbox's `ManualClock` that waits for Redis (see the module docstring).

    A driver task waits until every task is blocked (`anyio.wait_all_tasks_blocked`) and no
    store call is in flight, then moves the sandbox's clock to the earliest pending sleep and
    wakes it.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.calls = StoreCalls()
        self._heap: list[tuple[float, int, anyio.Event]] = []
        self._seq = itertools.count()
        self._changed: anyio.Event | None = None

    def clock(self) -> float:
        """Now, in sandbox seconds."""
        return self.sandbox.clock.now()

    async def sleep(self, seconds: float) -> None:
        """Sleep in virtual time."""
        event = anyio.Event()
        heapq.heappush(self._heap, (self.clock() + max(seconds, 0.0), next(self._seq), event))
        if self._changed is not None:
            self._changed.set()
        await event.wait()

    def hold(self) -> Any:
        """Keep virtual time still for the block (`with vtime.hold():`)."""
        return self.calls.hold()

    async def run(self) -> None:
        """Forever: once all is blocked and the store idle, jump to the next sleep's end."""
        while True:
            await anyio.wait_all_tasks_blocked()
            if self.calls.busy:
                await self.calls.idle.wait()
                continue
            if not self._heap:
                self._changed = anyio.Event()
                await self._changed.wait()
                self._changed = None
                continue
            at = self._heap[0][0]
            if at > self.clock():
                await self.sandbox.advance(at - self.clock())
            while self._heap and self._heap[0][0] <= self.clock():
                heapq.heappop(self._heap)[2].set()  # a cancelled sleeper ignores it

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StoreTime]:
        """Run the driver for the block (with a 30 s real-time safety net)."""
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                tg.start_soon(self.run)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()

    def client(self, store: ReportStore, **options: Any) -> SimwoodClient:
        """A strict client of the sandbox (in-process) whose report engine uses `store`."""
        sandbox = self.sandbox
        return in_process_client(
            sandbox,
            strict=True,
            retry=RetryPolicy(attempts=2, sleep=self.sleep, clock=self.clock),
            reports=ReportOptions(
                store=store, clock=self.clock, sleep=self.sleep, random=lambda: 0.5, **options
            ),
        )


def make_sandbox() -> Sandbox:
    """A sandbox on a manual clock (2 s reports, 30 CDRs a day)."""
    return Sandbox(
        seed=4,
        clock=ManualClock(START),
        report_delay=2.0,
        cdr_rows_per_day=30,
        sms_rows_per_day=5,
    )
