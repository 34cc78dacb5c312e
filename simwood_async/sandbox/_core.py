"""The sandbox's state, shared by the app's route handlers and the public `Sandbox`."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from simwood_async._types import GMT
from simwood_async.sandbox._account import AccountState
from simwood_async.sandbox._data import DEFAULT_CACHE_BYTES, CdrSource
from simwood_async.sandbox._faults import Faults
from simwood_async.sandbox._numbers_state import NumberInventory
from simwood_async.sandbox._porting import PortingState
from simwood_async.sandbox._state import ReportStore
from simwood_async.sandbox._stats import Stats
from simwood_async.sandbox._wire import check_forms

if TYPE_CHECKING:
    from simwood_async.sandbox._clock import Clock

__all__ = ["CDR_WINDOW_DAYS", "ReportDelay", "SandboxCore"]

#: The inline CDR endpoints serve this many days back from today (GMT).
CDR_WINDOW_DAYS: Final = 90

#: Seconds of sandbox time a report takes: fixed, a uniform (min, max) range, or a function
#: of the report kind, its parameters and a seeded `random.Random`.
ReportDelay: TypeAlias = (
    float | tuple[float, float] | Callable[[str, Mapping[str, str], random.Random], float]
)


class SandboxCore:
    """Everything the route handlers read and change."""

    def __init__(
        self,
        *,
        seed: int,
        account: str,
        username: str,
        password: str,
        clock: Clock,
        report_delay: ReportDelay,
        cdr_rows_per_day: int,
        sms_rows_per_day: int,
        live_calls_per_minute: float,
        sleep: Callable[[float], Awaitable[Any]],
        cdr_cache_bytes: int = DEFAULT_CACHE_BYTES,
        wire_forms: Mapping[str, str] | None = None,
    ) -> None:
        self.seed = seed
        self.account = account
        self.username = username
        self.password = password
        self.clock = clock
        self.report_delay = report_delay
        #: The wire form each multi-form operation answers in (see `_wire.WIRE_FORMS`).
        self.wire_forms = check_forms(wire_forms)
        self.sleep = sleep
        self.started_at = clock.now()
        self.cdrs = CdrSource(
            seed=seed,
            account=account,
            rows_per_day=cdr_rows_per_day,
            sms_per_day=sms_rows_per_day,
            live_per_minute=live_calls_per_minute,
            origin=self.started_at,
            cache_bytes=cdr_cache_bytes,
        )
        self.store = ReportStore(clock.now)
        self.faults = Faults(seed)
        self.stats = Stats()
        self.account_state = AccountState(seed=seed, account=account)
        self.numbers = NumberInventory(seed=seed, account=account)
        self.porting = PortingState()
        self._delay_rng = random.Random(f"{seed}:report-delay")  # noqa: S311
        self._lock = threading.Lock()

    def now(self) -> float:
        """Sandbox time, Unix seconds."""
        return self.clock.now()

    def today(self) -> dt.date:
        """The current GMT day in sandbox time."""
        return dt.datetime.fromtimestamp(self.clock.now(), GMT).date()

    def delay_for(self, kind: str, params: Mapping[str, str]) -> float:
        """Draw a report generation time (sandbox seconds)."""
        delay = self.report_delay
        with self._lock:
            if callable(delay):
                return float(delay(kind, params, self._delay_rng))
            if isinstance(delay, tuple):
                low, high = delay
                return self._delay_rng.uniform(float(low), float(high))
            return float(delay)
