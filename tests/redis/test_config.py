"""Configuration by URL (`redis://`, `rediss://`, `unix://`), prefixes, TTLs of the fleet keys."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

import anyio
import pytest

from simwood_async.reports import Claim, StoredOutcome
from tests.redis.conftest import free_port, open_store, redis_executable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

H = "0123456789abcdef0123456789abcdef"
READY = StoredOutcome(status="ready", body=b"[]")


@contextmanager
def server(args: list[str], reachable: Callable[[], bool]) -> Iterator[None]:
    """A `redis-server` with these arguments, until the block ends (10 s to come up)."""
    process = subprocess.Popen(  # noqa: S603 - a fixed executable and arguments
        [redis_executable(), "--save", "", "--appendonly", "no", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not reachable():
            assert process.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def connects(family: socket.AddressFamily, address: object) -> Callable[[], bool]:
    """Whether something accepts connections at `address`."""

    def probe() -> bool:
        """Try once."""
        with socket.socket(family) as sock:
            sock.settimeout(0.5)
            try:
                sock.connect(address)  # type: ignore[arg-type]
            except OSError:
                return False
            return True

    return probe


async def cycle(url: str, prefix: str) -> tuple[Claim, StoredOutcome | None]:
    """Claim, publish and read back through a store opened on `url`."""
    from simwood_async.reports import RedisReportStore  # noqa: PLC0415 - needs the extra

    async with RedisReportStore.open(url, prefix=prefix) as store:
        claim = await store.claim(H, "alpha", ttl=60)
        await store.publish(H, claim, READY)
        return claim, await store.wait(H, claim.generation)


async def test_a_unix_socket_url_works(tmp_path: Path, prefix):
    """`unix:///path?db=N` reaches a server that listens only on a unix socket."""
    path = tmp_path / "redis.sock"
    args = ["--port", "0", "--unixsocket", str(path), "--dir", str(tmp_path)]
    with server(args, connects(socket.AF_UNIX, str(path))):
        claim, outcome = await cycle(f"unix://{path}?db=3", prefix)
    assert claim.owned
    assert outcome == READY


async def test_a_rediss_url_speaks_tls(tmp_path: Path, prefix):
    """`rediss://` reaches a TLS-only server (its CA given in the URL's `ssl_ca_certs`)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not on PATH (needed to make a test certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    await anyio.run_process(
        [
            openssl,
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
    )
    port = free_port()
    args = [
        *("--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1"),
        *("--tls-cert-file", str(cert), "--tls-key-file", str(key)),
        *("--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no", "--dir", str(tmp_path)),
    ]
    with server(args, connects(socket.AF_INET, ("127.0.0.1", port))):
        claim, outcome = await cycle(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}", prefix)
    assert claim.owned
    assert outcome == READY


async def test_deployments_with_their_own_prefixes_share_nothing(redis_server, prefix):
    """Two deployments on one Redis (two prefixes): each owns its own claim and request."""
    async with (
        open_store(redis_server, prefix + "blue:") as blue,
        open_store(redis_server, prefix + "green:") as green,
    ):
        assert (await blue.claim(H, "alpha", ttl=60)).owned
        assert (await green.claim(H, "beta", ttl=60)).owned
        posts: list[str] = []

        async def post() -> str:
            """A POST that answers with a hash."""
            posts.append(H)
            return H

        assert await blue.share_request("k", post, after=0, ttl=60) == (H, 1)
        assert await green.share_request("k", post, after=0, ttl=60) == (H, 1)
        assert len(posts) == 2


async def test_a_request_record_lasts_the_callers_deadline_and_ends_with_the_report(
    redis_server, prefix
):
    """The shared hash is reused while its report is pending, dropped once it is published."""
    posts: list[str] = []

    async def post() -> str:
        """A POST that answers with a hash."""
        posts.append(H)
        return H

    async with (
        open_store(redis_server, prefix) as first,
        open_store(redis_server, prefix) as second,
    ):
        assert await first.share_request("k", post, after=0, ttl=60) == (H, 1)
        assert await second.share_request("k", post, after=0, ttl=60) == (H, 1)
        assert len(posts) == 1
        claim = await first.claim(H, "alpha", ttl=60)
        await first.publish(H, claim, READY)
        # The report was delivered: a new request POSTs again, with the next version.
        assert await second.share_request("k", post, after=0, ttl=0.2) == (H, 2)
        assert len(posts) == 2
        await anyio.sleep(0.4)  # its ttl (at least the lease, 2 s here) has not passed
        assert await first.share_request("k", post, after=0, ttl=60) == (H, 2)
        # A caller that found version 2 wanting (the file was gone) makes the fleet POST again.
        assert await first.share_request("k", post, after=2, ttl=60) == (H, 3)
        assert len(posts) == 3


async def test_a_closed_store_lets_the_caller_post_alone(redis_server, prefix):
    """After the store closed, `share_request` just POSTs (version 0: nothing shared)."""
    posts: list[str] = []

    async def post() -> str:
        """A POST that answers with a hash."""
        posts.append(H)
        return H

    async with open_store(redis_server, prefix) as store:
        pass
    assert await store.share_request("k", post, after=0, ttl=60) == (H, 0)
    assert posts == [H]
