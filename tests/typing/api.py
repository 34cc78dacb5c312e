"""Type-checked usage of the public API (run through `mypy --strict`, never executed)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from simwood_async import (
    NOT_GIVEN,
    DecodeError,
    InvalidInputError,
    RateLimitedError,
    RequestLimiter,
    RetryPolicy,
    SimwoodClient,
    SimwoodError,
    set_testing,
)

if TYPE_CHECKING:
    import datetime as dt
    from decimal import Decimal

    from simwood_async import RequestInfo, UkDateTime
    from simwood_async.accounts import (
        AccountType,
        Balance,
        BalanceAlert,
        Invoice,
        InvoiceList,
        LockedBalance,
    )
    from simwood_async.rates import (
        DestinationRate,
        DestinationRates,
        RateCard,
        RateCardRow,
        Tariff,
    )
    from simwood_async.tools import MyIp, ServerTime
    from simwood_async.voice import (
        CallInProgress,
        ChannelCount,
        DestinationCalls,
        InProgressSummary,
        LimitsUpdate,
        VoiceLimits,
    )


async def balance() -> Decimal:
    """The documented quick start type-checks and returns Decimal money."""
    async with SimwoodClient("930000", retry=RetryPolicy(attempts=2)) as client:
        result: Balance = await client.with_options(deadline=5.0).accounts.prepay_balance()
        return result.balance


async def options(http: httpx.AsyncClient) -> SimwoodClient:
    """Every constructor and `with_options` argument has a usable type."""
    client = SimwoodClient(
        930000,
        username="u",
        password="p",
        base_url="http://127.0.0.1:8000/v3/",
        timeout=httpx.Timeout(5.0),
        max_concurrency=10,
        deadline=30.0,
        http_client=http,
        env={},
        strict=True,
    )
    view = client.with_options(timeout=2.0, deadline=None, account="930001")
    view = view.with_options(deadline=NOT_GIVEN, retry=RetryPolicy(attempts=1))
    set_testing(True)
    return view


async def tools(client: SimwoodClient) -> str:
    """The tools area returns its models and plain text."""
    ip: MyIp = await client.tools.myip()
    now: ServerTime = await client.tools.time()
    when: dt.datetime = now.datetime
    text: str = await client.tools.explain("POST", number=["1"])
    return f"{ip.ip} {when} {text}"


async def accounts(client: SimwoodClient, target: Path) -> list[dict[str, Any]]:
    """The accounts area returns models, Decimal money, PDF bytes or byte counts, and rows."""
    kind: AccountType = await client.accounts.account_type()
    limit: int | None = kind.number_limit
    listing: InvoiceList = await client.accounts.invoices("unpaid")
    first: Invoice = listing.invoices[0]
    due: Decimal = first.amount_due
    day: dt.date = first.due_date
    pdf: bytes = await client.accounts.invoice_pdf(first.invoice_number)
    written: int = await client.accounts.invoice_pdf("I1", target)
    written += await client.accounts.invoice_pdf("I1", str(target))
    written += await client.accounts.invoice_pdf("I1", io.BytesIO())
    alert: BalanceAlert = await client.accounts.set_balance_alert(due)
    threshold: Decimal | None = alert.alert_balance
    locked: LockedBalance = await client.accounts.lock_balance("5.00")
    available: Decimal = locked.available
    await client.accounts.unlock_balance()
    rows: list[dict[str, Any]] = await client.accounts.prepayments(10)
    rows += await client.accounts.transfers()
    del limit, day, pdf, written, threshold, available
    return rows


async def rates(client: SimwoodClient) -> Decimal:
    """The rates area returns tariffs, typed ratecard rows and per-deck prices."""
    tariffs: tuple[Tariff, ...] = await client.rates.tariffs()
    card: RateCard = await client.rates.ratecard(tariffs[0].quality.lower())
    effective: dt.date = card.effective
    row: RateCardRow = card.rows[0]
    found: DestinationRates = await client.rates.destination("447700900123")
    gold: DestinationRate = found.by_quality()["gold"]
    del effective
    return row.day + gold.peak


async def voice(client: SimwoodClient) -> int:
    """The voice area returns limits, channel counts (UK times) and calls in progress."""
    limits: VoiceLimits = await client.voice.limits()
    update: LimitsUpdate = await client.voice.set_limits(
        inbound=limits.channel_allocation, outbound=0
    )
    now: ChannelCount = await client.voice.channels()
    stamp: UkDateTime = now.datetime
    history: tuple[ChannelCount, ...] = await client.voice.channel_history("1h")
    summary: InProgressSummary = await client.voice.calls_in_progress()
    per_destination: dict[str, DestinationCalls] = summary.calls
    call: CallInProgress = await client.voice.call("abc")
    answered: UkDateTime | None = call.answered
    await client.voice.hang_up("abc")
    del stamp, per_destination, answered
    return update.limit_concurrent_in + len(history)


async def errors(client: SimwoodClient) -> RequestInfo | None:
    """Errors carry typed details."""
    try:
        await client.accounts.prepay_balance()
    except RateLimitedError as err:
        wait: float | None = err.retry_after
        status: int = err.status_code
        del wait, status
    except DecodeError as err:
        body: str = err.body
        del body
    except InvalidInputError as err:
        is_value_error: ValueError = err
        del is_value_error
    except SimwoodError as err:
        return err.request
    return None


async def numbers_and_porting(client: SimwoodClient) -> str:
    """Numbers and porting return typed models; routing plans compose with `|` and `>>`."""
    from simwood_async.numbers import (  # noqa: PLC0415
        AvailableNumber,
        Plan,
        Provisioned,
        RoutingConfig,
        pstn,
        sip,
    )
    from simwood_async.porting import GnpOrderSummary, MnpPort  # noqa: PLC0415

    plan: Plan = sip("%e164@pbx.example.com", timeout=20) >> pstn("447700900123")
    config: RoutingConfig = RoutingConfig.to(plan)
    found: tuple[AvailableNumber, ...] = await client.numbers.available("standard", 10)
    await client.numbers.set_config(found[0], config)
    current: RoutingConfig | None = await client.numbers.config(found[0])
    done: Provisioned = await client.numbers.provision(plan, pattern="20*")
    orders: tuple[GnpOrderSummary, ...] = await client.porting.gnp_orders()
    port: MnpPort = await client.porting.mnp_port("ABC123456")
    del current, orders
    return done.e164 + port.ref


class OwnCap:
    """A user's own shared cap: any object with `slot()` is a `RequestLimiter`."""

    def __init__(self) -> None:
        self._limiter = anyio.CapacityLimiter(4)

    def slot(self) -> anyio.CapacityLimiter:
        """The limiter itself is the async context manager held per request."""
        return self._limiter


async def shared_caps(redis_url: str) -> int:
    """A fleet's Redis cap and a cap of one's own are both a client's `request_limiter`."""
    from simwood_async.reports import FleetLimiter, RedisReportStore  # noqa: PLC0415

    own: RequestLimiter = OwnCap()
    SimwoodClient("930000", request_limiter=own)
    async with RedisReportStore.open(url=redis_url, max_in_flight=8) as store:
        fleet: FleetLimiter | None = store.limiter
        if fleet is None:
            return 0
        async with SimwoodClient("930000", request_limiter=fleet):
            return fleet.limit - fleet.taken


def argument_types() -> tuple[object, ...]:
    """The types of the API's enumerated and union arguments are importable and check values."""
    from simwood_async.accounts import InvoiceStatus  # noqa: PLC0415
    from simwood_async.numbers import Leg, Number, Tier, pstn  # noqa: PLC0415
    from simwood_async.porting import NumberAction, NumberType, PortType  # noqa: PLC0415
    from simwood_async.reports import Direction, LatestSize  # noqa: PLC0415
    from simwood_async.voice import ChannelInterval  # noqa: PLC0415

    status: InvoiceStatus = "unpaid"
    number: Number = "447700900123"
    tier: Tier = "gold"
    leg: Leg = pstn("447700900123")
    port: tuple[PortType, NumberType, NumberAction] = ("single", "mbn", "port")
    direction: Direction = "out"
    size: LatestSize = 1000
    interval: ChannelInterval = "5m"
    return status, number, tier, leg, port, direction, size, interval
