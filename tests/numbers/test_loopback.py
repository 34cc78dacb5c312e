"""Numbers and porting over real HTTP (the sandbox on loopback), with every request encoding."""

from __future__ import annotations

from typing import Any

import pytest

from simwood_async import SimwoodClient
from simwood_async.numbers import EmergencyAddress, RoutingConfig, pstn, sip
from tests.numbers.conftest import make_sandbox
from tests.porting.test_wire import documented_order


@pytest.fixture
async def api() -> Any:
    """A strict client talking HTTP to a sandbox on 127.0.0.1, polling reports in its time."""
    sandbox = make_sandbox()
    time = sandbox.virtual_time
    async with (
        sandbox.serve() as base_url,
        SimwoodClient(
            sandbox.account,
            username=sandbox.username,
            password=sandbox.password,
            base_url=base_url,
            retry=time.retry_policy(attempts=1),
            reports=time.report_options(),
            strict=True,
            env={},
        ) as client,
    ):
        yield client


async def test_numbers_round_trip_over_http(api):
    """Search, allocate (PUT), JSON config, 999, the allocated report and release, over HTTP."""
    done = await api.numbers.provision(
        sip("%e164@pbx.example.com", timeout=20) >> pstn("447700900123"),
        pattern="113*",
        emergency=EmergencyAddress(
            name="Acme",
            premises="1",
            thoroughfare="Station Road",
            locality="Leeds",
            postcode="LS1 4DY",
        ),
    )
    assert await api.numbers.config(done.e164) == RoutingConfig.to(
        sip("%e164@pbx.example.com", timeout=20) >> pstn("447700900123")
    )
    assert done.e164 in {row.e164 for row in await api.numbers.allocated(pattern="113*")}
    await api.numbers.release(done.e164)
    assert done.e164 not in {row.e164 for row in await api.numbers.allocated(pattern="113*")}


async def test_porting_round_trip_over_http(api):
    """A GNP order (JSON body) and an MNP port over HTTP, each read back."""
    submitted = await api.porting.submit_gnp(documented_order())
    assert (await api.porting.gnp_order(submitted.ref)).mbn == "01632960100"
    port = await api.porting.submit_mnp("447700900123", "ABC123456", contact_email="a@b.co")
    assert (await api.porting.mnp_port(port.pac)).msisdn == "447700900123"
