"""The numbers endpoints (`/v3/numbers/{ACCOUNT}/...`): find, allocate, route, 999, release."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeVar

from simwood_async._area import unwrap
from simwood_async._operation import operation
from simwood_async._validate import one_of
from simwood_async.exceptions import InvalidInputError
from simwood_async.numbers._checks import number_of, search_pattern
from simwood_async.numbers._config import Plan, Ring, RoutingConfig
from simwood_async.numbers._models import (
    AllocatedNumber,
    AllocatedNumberRow,
    AvailableNumber,
    EmergencyAddress,
    LastCall,
    NumberLookup,
    NumberRange,
    NumberValidation,
)
from simwood_async.numbers._provision import Provisioned, provision
from simwood_async.numbers._services import (
    NUMBERS_PATH,
    ONE_NUMBER_PATH,
    Number,
    NumberServices,
    nothing_configured,
)
from simwood_async.reports._request import ReportRequest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cattrs import Converter

    from simwood_async._transport import Transport
    from simwood_async.numbers._config import Leg
    from simwood_async.reports._engine import ReportEngine

__all__ = ["NumbersApi"]

T = TypeVar("T")
#: Which available numbers to search: gold, standard, or both.
Tier = Literal["all", "gold", "standard"]
_N = NUMBERS_PATH
_ONE = ONE_NUMBER_PATH


class NumbersApi(NumberServices):
    """`client.numbers`: find, allocate, configure and release numbers.

    Allocating a gold number charges its activation fee, releasing a number is irrevocable and
    999 updates are chargeable: those calls are never retried automatically.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("_engine",)

    def __init__(self, transport: Transport, converter: Converter, engine: ReportEngine) -> None:
        super().__init__(transport, converter)
        self._engine = engine

    @property
    def converter(self) -> Converter:
        """The converter that structures configurations and responses."""
        return self._conv

    def _config_body(self, config: RoutingConfig | Mapping[str, Any]) -> Any:
        if not isinstance(config, RoutingConfig):
            try:
                config = self._conv.structure(config, RoutingConfig)
            except (ValueError, TypeError) as err:
                raise InvalidInputError(f"config: {err}") from err
        return self._conv.unstructure(config.check())

    # --- finding numbers ----------------------------------------------------------------

    @operation("GET", f"{_N}/ranges")
    async def ranges(self) -> tuple[NumberRange, ...]:
        """The UK number ranges with descriptions (e.g. to offer a choice of area)."""
        response = await self._get("ranges")
        return self._decode(response, tuple[NumberRange, ...], unwrap(response.json()))

    @operation("GET", f"{_N}/available/[all|gold|standard]/[1|10|100]")
    async def available(
        self,
        tier: Tier = "all",
        count: Literal[1, 10, 100] = 10,
        *,
        pattern: str | None = None,
        country_code: Literal[44, 1] = 44,
    ) -> tuple[AvailableNumber, ...]:
        """Numbers available for allocation, cheapest first.

        Args:
            tier: `standard` (no setup fee), `gold` (a setup fee) or `all`.
            count: 1, 10 or 100 (no other sizes exist).
            pattern: National digits of `country_code` with `*` wildcards: `20*` is London
                with `country_code=44`, `212*` New York with `country_code=1`. The country
                code is always sent, so the API never reads a NANP pattern as a UK one.
            country_code: 44 (UK, default) or 1 (NANP).

        Raises:
            InvalidInputError: A bad tier, count, country code or pattern (before any request).
        """
        one_of("tier", tier, ("all", "gold", "standard"))
        one_of("count", count, (1, 10, 100))
        params: dict[str, Any] = {"country_code": country_code}
        checked = search_pattern(pattern, country_code)
        if checked is not None:
            params["pattern"] = checked
        response = await self._t.request(
            "GET", self._path("available", tier, count), params=params, retry=True
        )
        return self._decode(response, tuple[AvailableNumber, ...], unwrap(response.json()))

    @operation("POST", f"{_N}/available/consecutive/[10|20|30|40|50|60|70|80|90|100]")
    async def consecutive(
        self, count: int, *, pattern: str | None = None, deadline: float | None = None
    ) -> tuple[AvailableNumber, ...]:
        """A block of `count` consecutive available UK numbers (a report: shared, polled).

        Args:
            count: 10, 20, ... or 100.
            pattern: UK national digits with `*` wildcards (the report is UK only).
            deadline: Seconds to keep trying (default: the report engine's).

        Raises:
            InvalidInputError: A bad count or pattern (before any request).
            ReportError: The report could not be delivered.
        """
        search_pattern(pattern, 44)
        request = ReportRequest.numbers_consecutive(count, pattern=pattern)
        return await self._engine.get(self._t, request, deadline=deadline)

    @operation("POST", f"{_N}/allocated/all")
    @operation("POST", f"{_N}/allocated/[10|100|1000|10000]")
    async def allocated(
        self,
        count: Literal["all", 10, 100, 1000, 10000] = "all",
        *,
        pattern: str | None = None,
        key: str | None = None,
        filter_config: bool = False,
        deadline: float | None = None,
    ) -> tuple[AllocatedNumberRow, ...]:
        """The account's numbers (a report, through the engine: identical calls share it).

        Args:
            count: `all`, or the first 10, 100, 1000 or 10000.
            pattern: Only numbers matching it (`*` wildcards).
            key: Only numbers whose config `meta.key` equals it (case-insensitive).
            filter_config: Only numbers with their own routing configuration.
            deadline: Seconds to keep trying (default: the report engine's).

        Raises:
            InvalidInputError: A bad count, pattern or key (before any request).
            ReportError: The report could not be delivered.
        """
        request = ReportRequest.numbers_allocated(
            count, pattern=pattern, key=key, filter_config=filter_config
        )
        return await self._engine.get(self._t, request, deadline=deadline)

    # --- one number ---------------------------------------------------------------------

    @operation("GET", _ONE)
    async def get(self, number: Number) -> AllocatedNumber:
        """An allocated number and the links to its services.

        Raises:
            NotFoundError: The number is not allocated to the account.
        """
        response = await self._get("allocated", number_of(number))
        return self._decode(response, AllocatedNumber, unwrap(response.json()))

    @operation("PUT", _ONE)
    async def allocate(self, number: Number) -> AllocatedNumber:
        """Allocate an available number to the account.

        **Costs money** for a gold number (its activation fee, from £2.50), and every
        geographic number has a monthly rental. Never retried automatically.

        Raises:
            NotFoundError: The number is not available (e.g. allocated by someone else).
        """
        response = await self._t.request(
            "PUT", self._path("allocated", number_of(number)), retry=False
        )
        return self._decode(response, AllocatedNumber, unwrap(response.json()))

    @operation("DELETE", _ONE)
    async def release(self, number: Number) -> None:
        """**Irrevocably** de-configure and remove a number from the account (never retried)."""
        await self._t.request("DELETE", self._path("allocated", number_of(number)), retry=False)

    @operation("GET", f"{_ONE}/lastcall")
    async def last_call(self, number: Number) -> LastCall | None:
        """The most recent call to the number (None if it never had one)."""
        response = await self._get("allocated", number_of(number), "lastcall")
        data = unwrap(response.json())
        return None if nothing_configured(data) else self._decode(response, LastCall, data)

    # --- routing configuration ----------------------------------------------------------

    @operation("GET", f"{_ONE}/config")
    async def config(self, number: Number) -> RoutingConfig | None:
        """The number's own routing configuration (None if it has none)."""
        return await self._read_config("allocated", number_of(number), "config")

    @operation("PUT", f"{_ONE}/config")
    async def set_config(self, number: Number, config: RoutingConfig | Mapping[str, Any]) -> None:
        """Replace the number's routing configuration (all or nothing, as the API applies it).

        Args:
            number: The number.
            config: A `RoutingConfig` (e.g. `RoutingConfig.to(sip(...) >> pstn(...))`) or
                its JSON object.

        Raises:
            InvalidInputError: A configuration the API would reject (before any request).
        """
        body = self._config_body(config)
        # Replacing a configuration is idempotent: safe to retry.
        url = self._path("allocated", number_of(number), "config")
        await self._t.request("PUT", url, json=body, retry=True)

    @operation("DELETE", f"{_ONE}/config")
    async def delete_config(self, number: Number) -> None:
        """Delete the number's configuration (trunk or default routing then applies).

        Destroys the configuration, including its `meta`; never retried automatically.
        """
        url = self._path("allocated", number_of(number), "config")
        await self._t.request("DELETE", url, retry=False)

    @operation("GET", f"{_N}/default/config")
    async def default_config(self) -> RoutingConfig | None:
        """The account's default routing configuration (None if it has none)."""
        return await self._read_config("default", "config")

    @operation("PUT", f"{_N}/default/config")
    async def set_default_config(self, config: RoutingConfig | Mapping[str, Any]) -> None:
        """Replace the account's default configuration, used by numbers without their own.

        Raises:
            InvalidInputError: A configuration the API would reject (before any request).
        """
        body = self._config_body(config)
        await self._t.request("PUT", self._path("default", "config"), json=body, retry=True)

    @operation("DELETE", f"{_N}/default/config")
    async def delete_default_config(self) -> None:
        """Delete the account's default configuration (destructive; never retried)."""
        await self._t.request("DELETE", self._path("default", "config"), retry=False)

    async def _read_config(self, *segments: str) -> RoutingConfig | None:
        response = await self._get(*segments)
        data = unwrap(response.json())
        return None if nothing_configured(data) else self._decode(response, RoutingConfig, data)

    # --- provisioning ---------------------------------------------------------------------

    @operation("GET", f"{_N}/available/[all|gold|standard]/[1|10|100]")
    @operation("PUT", _ONE)
    @operation("PUT", f"{_ONE}/config")
    @operation("PUT", f"{_ONE}/999")
    async def provision(
        self,
        config: RoutingConfig | Leg | Ring | Plan | Mapping[str, Any] | None,
        *,
        emergency: EmergencyAddress | None = None,
        tier: Tier = "standard",
        pattern: str | None = None,
        country_code: Literal[44, 1] = 44,
        attempts: int = 3,
    ) -> Provisioned:
        """Find, allocate, route and (optionally) register 999 details for a new number.

        ```python
        done = await client.numbers.provision(
            sip("%e164@pbx.example.com", timeout=20) >> pstn("447700900123"), pattern="20*"
        )
        ```

        Every input is checked first. A candidate taken between the search and the allocation
        is skipped for the next one, up to `attempts`. **Costs money** when the number is gold
        (`tier="gold"` or `"all"`) and when 999 details are given; nothing chargeable is
        retried, and nothing is undone after a failure.

        Args:
            config: Where calls go: a `RoutingConfig`, a leg or plan (`sip(...) >> pstn(...)`),
                its JSON object, or None to leave the account's default routing.
            emergency: 999 details to register (chargeable).
            tier: `standard` (default: no setup fee), `gold` or `all`.
            pattern: National digits of `country_code` with `*` wildcards.
            country_code: 44 (UK) or 1 (NANP).
            attempts: How many candidates to try before giving up (1..10).

        Returns:
            The allocated number, the search row it came from and every step taken.

        Raises:
            InvalidInputError: Bad input (before any request).
            ProvisioningError: A step failed; `steps` and `number` say what was done.
        """
        return await provision(
            self, config=config, emergency=emergency, tier=tier, pattern=pattern,
            country_code=country_code, attempts=attempts,
        )  # fmt: skip

    # --- information ----------------------------------------------------------------------

    @operation("GET", f"{_N}/validate/{{NUMBER}}")
    async def validate(self, number: str | int) -> NumberValidation:
        """Whether a number is well formed, its type, original carrier and Ofcom data."""
        response = await self._get("validate", number_of(number))
        return self._decode(response, NumberValidation, unwrap(response.json()))

    @operation("GET", f"{_N}/lookup/{{NUMBER}}")
    async def lookup(self, number: str | int) -> NumberLookup:
        """The range holder of a number (useful before porting; not necessarily the LCP)."""
        response = await self._get("lookup", number_of(number))
        body = response.json()
        data = unwrap(body)
        if isinstance(body, dict) and isinstance(data, dict) and "formatted" in body:
            data = {**data, "formatted": body["formatted"]}
        return self._decode(response, NumberLookup, data)
