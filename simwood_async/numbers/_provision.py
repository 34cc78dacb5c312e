"""One call from "I need a number" to a routed number: search, allocate, route, 999.

Every input is checked before the first request. A number taken between the search and the
allocation (the API answers 404) is skipped for the next candidate, up to `attempts`. Once a
number is allocated nothing is undone automatically (releasing is irrevocable and a gold fee
is not refunded): a later failure raises `ProvisioningError` saying exactly what was done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs

from simwood_async.exceptions import InvalidInputError, NotFoundError, SimwoodError
from simwood_async.numbers._checks import emergency_fields, search_pattern
from simwood_async.numbers._config import Plan, Ring, RoutingConfig
from simwood_async.numbers._models import AllocatedNumber, AvailableNumber, EmergencyAddress

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    from simwood_async.numbers._api import NumbersApi
    from simwood_async.numbers._config import Leg

__all__ = ["ProvisionStep", "Provisioned", "ProvisioningError", "provision"]

_MAX_ATTEMPTS = 10


@attrs.frozen(kw_only=True)
class ProvisionStep:
    """One step of a provisioning run.

    Attributes:
        action: `search`, `allocate`, `configure` or `emergency`.
        number: The number it concerned (E.164), if any.
        ok: Whether it succeeded.
        detail: What happened, in words.

    .. versionadded:: 0.1.0
    """

    action: str
    number: str | None
    ok: bool
    detail: str


@attrs.frozen(kw_only=True)
class Provisioned:
    """A provisioned number: what was allocated and every step taken.

    .. versionadded:: 0.1.0
    """

    number: AllocatedNumber
    candidate: AvailableNumber
    steps: tuple[ProvisionStep, ...]

    @property
    def e164(self) -> str:
        """The number in E.164 without `+`."""
        return self.candidate.e164


class ProvisioningError(SimwoodError):
    """Provisioning stopped part-way; `steps` says what was done.

    Attributes:
        steps: Every step taken, the failed one last.
        number: The number now allocated to the account (E.164), or None if none was.
            It is left allocated (and configured as far as `steps` say).

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, message: str, *, steps: tuple[ProvisionStep, ...], number: str | None
    ) -> None:
        super().__init__(message)
        self.steps = steps
        self.number = number


def _step(action: str, number: str | None, detail: str, *, ok: bool = False) -> ProvisionStep:
    return ProvisionStep(action=action, number=number, ok=ok, detail=detail)


def _config(numbers: NumbersApi, config: Any) -> RoutingConfig | None:
    """The configuration to set, checked now (before any request)."""
    if config is None:
        return None
    if isinstance(config, (Plan, Ring)) or hasattr(config, "type"):
        config = RoutingConfig.to(config)
    if isinstance(config, RoutingConfig):
        return config.check()
    try:
        structured: RoutingConfig = numbers.converter.structure(config, RoutingConfig)
    except (ValueError, TypeError) as err:
        raise InvalidInputError(f"config: {err}") from err
    return structured.check()


async def provision(
    numbers: NumbersApi,
    *,
    config: RoutingConfig | Leg | Ring | Plan | Mapping[str, Any] | None,
    emergency: EmergencyAddress | None = None,
    tier: Literal["all", "gold", "standard"] = "standard",
    pattern: str | None = None,
    country_code: Literal[44, 1] = 44,
    attempts: int = 3,
) -> Provisioned:
    """Search, allocate the first candidate still available, configure it, add 999 details.

    See `NumbersApi.provision`.
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int):
        raise InvalidInputError(f"attempts must be an integer 1..{_MAX_ATTEMPTS}")
    if not 1 <= attempts <= _MAX_ATTEMPTS:
        raise InvalidInputError(f"attempts must be 1..{_MAX_ATTEMPTS}; got {attempts}")
    if tier not in ("all", "gold", "standard"):
        raise InvalidInputError(f"tier must be one of 'all', 'gold', 'standard'; got {tier!r}")
    search_pattern(pattern, country_code)
    routing = _config(numbers, config)
    if emergency is not None:
        emergency_fields(emergency)

    steps: list[ProvisionStep] = []
    found = await numbers.available(
        tier,
        10,  # attempts <= 10
        pattern=pattern,
        country_code=country_code,
    )
    steps.append(_step("search", None, f"{len(found)} candidate(s) found", ok=bool(found)))
    if not found:
        raise ProvisioningError("no available number matches", steps=tuple(steps), number=None)

    allocated: AllocatedNumber | None = None
    candidate = found[0]
    for candidate in found[:attempts]:
        try:
            allocated = await numbers.allocate(candidate)
        except NotFoundError:
            steps.append(_step("allocate", candidate.e164, "taken meanwhile; trying the next"))
            continue
        except SimwoodError as err:
            # The request may have reached the API: the number may be ours now.
            steps.append(_step("allocate", candidate.e164, f"failed, outcome unknown: {err}"))
            raise ProvisioningError(
                f"allocating {candidate.e164} failed and was not retried (it may have been "
                f"allocated; check with client.numbers.get): {err}",
                steps=tuple(steps),
                number=None,
            ) from err
        fee = candidate.wholesale_gold_premium
        steps.append(_step("allocate", candidate.e164, f"allocated (fee {fee or 0})", ok=True))
        break
    if allocated is None:
        raise ProvisioningError(
            f"all {min(attempts, len(found))} candidate(s) were taken meanwhile",
            steps=tuple(steps),
            number=None,
        )
    e164 = candidate.e164
    if routing is not None:
        await _then(steps, "configure", e164, numbers.set_config(e164, routing))
    if emergency is not None:
        await _then(steps, "emergency", e164, numbers.set_emergency_address(e164, emergency))
    return Provisioned(number=allocated, candidate=candidate, steps=tuple(steps))


async def _then(steps: list[ProvisionStep], action: str, e164: str, call: Awaitable[None]) -> None:
    """Await one step after the allocation; on failure say what was done and stop."""
    try:
        await call
    except SimwoodError as err:
        steps.append(_step(action, e164, str(err)))
        raise ProvisioningError(
            f"{e164} was allocated but the {action} step failed; it stays allocated "
            f"(configure or release it): {err}",
            steps=tuple(steps),
            number=e164,
        ) from err
    steps.append(_step(action, e164, "done", ok=True))
